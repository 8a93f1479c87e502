"""Incident numbers without PostgreSQL: the IncidentCounter workflow and the bot's allocator.

The record's highest number is read by an activity, replaced here by a fake.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from temporalio import activity
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from activities.numbers import NumberActivities
from bot.numbers import NumberAllocator
from fireline.models import AllocateNumbersInput, CounterState, RenumberInput
from tests.helpers import eventually
from workflows.counter import IncidentCounterWorkflow, allocate_numbers, counter_workflow_id


class RecordFloor:
    """The record's highest number as the counter reads it: settable, failing, or held."""

    def __init__(self) -> None:
        self.highest = 0
        self.down = False
        self.reads = 0
        self.released = asyncio.Event()
        self.released.set()

    def activity(self) -> object:
        @activity.defn(name="highest_incident_number")
        async def highest_incident_number() -> int:
            self.reads += 1
            await self.released.wait()
            if self.down:
                raise ApplicationError("database is down", non_retryable=True)
            return self.highest

        return highest_incident_number


@pytest.fixture
def floor() -> RecordFloor:
    return RecordFloor()


@pytest.fixture
async def task_queue(dev_server: WorkflowEnvironment, floor: RecordFloor) -> AsyncIterator[str]:
    queue = f"numbers-{uuid.uuid4().hex[:8]}"
    async with Worker(
        dev_server.client,
        task_queue=queue,
        workflows=[IncidentCounterWorkflow],
        activities=[floor.activity()],
    ):
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


async def start_counter(client: Client, queue: str, state: CounterState, key: str) -> int:
    """Start the counter with `state` and allocate `key` in its first Update."""
    start = WithStartWorkflowOperation(
        IncidentCounterWorkflow.run,
        state,
        id=counter_workflow_id(queue),
        task_queue=queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    numbers = await client.execute_update_with_start_workflow(
        IncidentCounterWorkflow.allocate,
        AllocateNumbersInput(keys=[key]),
        start_workflow_operation=start,
    )
    return numbers[key]


async def continued(client: Client, queue: str) -> bool:
    query = f"WorkflowId = '{counter_workflow_id(queue)}'"
    runs = [execution.run_id async for execution in client.list_workflows(query)]
    return len(runs) >= 2


async def test_numbering_continues_across_continue_as_new(
    dev_server: WorkflowEnvironment, task_queue: str, floor: RecordFloor
) -> None:
    client = dev_server.client
    first = await start_counter(client, task_queue, CounterState(updates_per_run=3), "incident-1")
    numbers = allocator(client, task_queue)
    later = [await numbers.allocate(f"incident-{i}") for i in range(2, 8)]

    assert [first, *later] == list(range(1, 8))
    assert await eventually(lambda: continued(client, task_queue))
    # A key from an earlier run is still remembered, and the record was read only once.
    assert await numbers.allocate("incident-1") == 1
    assert floor.reads == 1


async def test_a_new_counter_starts_above_the_highest_recorded_number(
    dev_server: WorkflowEnvironment, task_queue: str, floor: RecordFloor
) -> None:
    floor.highest = 41
    floor.released.clear()
    # Two bot processes declaring while the counter is still reading the record.
    pending = [
        asyncio.create_task(allocator(dev_server.client, task_queue).allocate(key))
        for key in ("incident-a", "incident-b")
    ]
    await eventually(lambda: floor.reads)
    floor.released.set()

    assert sorted(await asyncio.gather(*pending)) == [42, 43]
    assert floor.reads == 1


async def test_without_the_record_numbers_keep_coming_and_a_collision_reads_it_again(
    dev_server: WorkflowEnvironment, task_queue: str, floor: RecordFloor
) -> None:
    floor.down = True
    numbers = allocator(dev_server.client, task_queue)
    assert [await numbers.allocate(key) for key in ("incident-a", "incident-b")] == [1, 2]
    assert floor.reads == 1

    # The database is back and holds up to 10: incident-a's record found its number taken.
    floor.down, floor.highest = False, 10
    again = AllocateNumbersInput(keys=["incident-a/after-1"], taken=1)
    renumbered = await allocate_numbers(dev_server.client, task_queue, again, timedelta(seconds=5))

    assert renumbered == {"incident-a/after-1": 11}
    assert floor.reads == 2


async def test_a_run_that_could_not_read_the_record_leaves_it_to_the_next(
    dev_server: WorkflowEnvironment, task_queue: str, floor: RecordFloor
) -> None:
    client = dev_server.client
    floor.down = True
    first = await start_counter(client, task_queue, CounterState(updates_per_run=1), "incident-a")
    assert await eventually(lambda: continued(client, task_queue))

    floor.down, floor.highest = False, 20
    assert (first, await allocator(client, task_queue).allocate("incident-b")) == (1, 21)
    assert floor.reads == 2


async def test_a_retried_renumbering_gets_the_number_it_was_given(
    dev_server: WorkflowEnvironment, task_queue: str, floor: RecordFloor
) -> None:
    floor.highest = 5
    renumber = NumberActivities(dev_server.client, task_queue).renumber_incident
    taken = RenumberInput(incident_id="incident-a", taken=3)

    first = await ActivityEnvironment().run(renumber, taken)
    retried = await ActivityEnvironment().run(renumber, taken)

    assert first == retried == 6
    assert await allocator(dev_server.client, task_queue).allocate("incident-b") == 7
