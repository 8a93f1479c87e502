"""Polling instead of sleeping: wait for a condition with a deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

T = TypeVar("T")


async def eventually(
    probe: Callable[[], T | Awaitable[T]], *, timeout: float = 15.0, interval: float = 0.05
) -> T:
    """Call `probe` until it returns something truthy without raising AssertionError; return it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = probe()
            if asyncio.iscoroutine(result) or isinstance(result, Awaitable):
                result = await result
            if result:
                return result  # type: ignore[return-value]
            failure: AssertionError | None = None
        except AssertionError as err:
            failure = err
        if time.monotonic() > deadline:
            raise failure or AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


async def worker_polling(client: Client, task_queue: str, pid: int) -> bool:
    """Whether the worker process `pid` is polling `task_queue` for workflow tasks: it is up."""
    described = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return any(poller.identity.startswith(f"{pid}@") for poller in described.pollers)
