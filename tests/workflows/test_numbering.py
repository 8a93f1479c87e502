"""Incident numbers without PostgreSQL: the IncidentCounter workflow and the bot's allocator."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bot.numbers import NumberAllocator
from fireline.models import AllocateNumbersInput, CounterState
from tests.helpers import eventually
from workflows.counter import IncidentCounterWorkflow, counter_workflow_id


@pytest.fixture
async def task_queue(dev_server: WorkflowEnvironment) -> AsyncIterator[str]:
    queue = f"numbers-{uuid.uuid4().hex[:8]}"
    async with Worker(dev_server.client, task_queue=queue, workflows=[IncidentCounterWorkflow]):
        yield queue


def allocator(client: Client, queue: str) -> NumberAllocator:
    return NumberAllocator(client, queue, timedelta(seconds=5))


async def update_count(client: Client, queue: str) -> int:
    """Updates the counter accepted, across all its runs."""
    handle = client.get_workflow_handle(counter_workflow_id(queue))
    accepted = 0
    async for event in handle.fetch_history_events():
        accepted += event.HasField("workflow_execution_update_accepted_event_attributes")
    return accepted


async def test_concurrent_declarations_get_distinct_sequential_numbers_in_few_updates(
    dev_server: WorkflowEnvironment, task_queue: str
) -> None:
    numbers = allocator(dev_server.client, task_queue)
    keys = [f"incident-{i}" for i in range(20)]

    allocated = await asyncio.gather(*(numbers.allocate(key) for key in keys))

    assert sorted(allocated) == list(range(1, 21))
    # The first request goes alone; the 19 that arrived meanwhile share the next Update.
    assert await update_count(dev_server.client, task_queue) == 2


async def test_the_same_key_always_gets_the_same_number(
    dev_server: WorkflowEnvironment, task_queue: str
) -> None:
    numbers = allocator(dev_server.client, task_queue)
    first, again = await asyncio.gather(
        numbers.allocate("incident-a"), numbers.allocate("incident-a")
    )
    other = await numbers.allocate("incident-b")
    # A second bot process (a fresh allocator) retrying the same submission.
    retried = await allocator(dev_server.client, task_queue).allocate("incident-a")

    assert first == again == retried == 1
    assert other == 2


async def test_a_failed_update_fails_every_waiter_and_the_next_call_succeeds(
    dev_server: WorkflowEnvironment, task_queue: str
) -> None:
    unreachable = await Client.connect(
        "127.0.0.1:1", data_converter=pydantic_data_converter, lazy=True
    )
    failing = NumberAllocator(unreachable, task_queue, timedelta(seconds=1))
    results = await asyncio.gather(
        failing.allocate("incident-x"), failing.allocate("incident-y"), return_exceptions=True
    )
    assert all(isinstance(result, Exception) for result in results)

    assert await allocator(dev_server.client, task_queue).allocate("incident-x") == 1


async def test_numbering_continues_across_continue_as_new(
    dev_server: WorkflowEnvironment, task_queue: str
) -> None:
    client = dev_server.client
    start = WithStartWorkflowOperation(
        IncidentCounterWorkflow.run,
        CounterState(updates_per_run=3),
        id=counter_workflow_id(task_queue),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    first = await client.execute_update_with_start_workflow(
        IncidentCounterWorkflow.allocate,
        AllocateNumbersInput(keys=["incident-1"]),
        start_workflow_operation=start,
    )
    numbers = allocator(client, task_queue)
    later = [await numbers.allocate(f"incident-{i}") for i in range(2, 8)]

    async def runs() -> list[str]:
        query = f"WorkflowId = '{counter_workflow_id(task_queue)}'"
        found = [execution.run_id async for execution in client.list_workflows(query)]
        return found if len(found) >= 2 else []

    assert [first["incident-1"], *later] == list(range(1, 8))
    assert await eventually(runs)
    # A key from an earlier run is still remembered.
    assert await numbers.allocate("incident-1") == 1
