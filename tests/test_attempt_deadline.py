"""An activity attempt stops before Temporal gives up on it, so it cannot act after its retry."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.deadline import MARGIN, AttemptDeadlineInterceptor

ATTEMPT_TIMEOUT = timedelta(seconds=2)


@workflow.defn(sandboxed=False)
class TwoAttempts:
    @workflow.run
    async def run(self) -> list[str]:
        result: list[str] = await workflow.execute_activity(
            "slow_then_fast",
            start_to_close_timeout=ATTEMPT_TIMEOUT,
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100)),
        )
        return result


async def test_an_attempt_is_stopped_before_its_timeout(dev_server: WorkflowEnvironment) -> None:
    acted: list[str] = []
    stopped: list[int] = []

    @activity.defn(name="slow_then_fast")
    async def slow_then_fast() -> list[str]:
        attempt = activity.info().attempt
        try:
            if attempt == 1:
                await asyncio.sleep(30)  # Slack not answering
            acted.append(f"attempt {attempt} acted")
        except asyncio.CancelledError:
            stopped.append(attempt)
            raise
        return acted

    queue = f"deadline-{uuid.uuid4().hex[:8]}"
    async with Worker(
        dev_server.client,
        task_queue=queue,
        workflows=[TwoAttempts],
        activities=[slow_then_fast],
        interceptors=[AttemptDeadlineInterceptor()],
    ):
        loop = asyncio.get_running_loop()
        started = loop.time()
        result = await dev_server.client.execute_workflow(
            TwoAttempts.run, id=queue, task_queue=queue
        )

    # The first attempt was cancelled by its own deadline, before Temporal's timeout would have
    # started the second, and never acted.
    assert stopped == [1]
    assert result == ["attempt 2 acted"]
    assert loop.time() - started < (ATTEMPT_TIMEOUT + MARGIN).total_seconds()


@workflow.defn(sandboxed=False)
class OneLocalStep:
    @workflow.run
    async def run(self) -> str:
        result: str = await workflow.execute_local_activity(
            "unhurried_local",
            start_to_close_timeout=ATTEMPT_TIMEOUT,
            retry_policy=RetryPolicy(maximum_attempts=1),
        )
        return result


async def test_local_activities_keep_the_workers_own_timeouts(
    dev_server: WorkflowEnvironment,
) -> None:
    """The worker enforces a local activity's timeouts itself; within them it is left alone."""

    @activity.defn(name="unhurried_local")
    async def unhurried_local() -> str:
        # Past the interceptor's margin, within the start-to-close timeout.
        await asyncio.sleep((ATTEMPT_TIMEOUT - MARGIN / 2).total_seconds())
        return "done"

    queue = f"deadline-local-{uuid.uuid4().hex[:8]}"
    async with Worker(
        dev_server.client,
        task_queue=queue,
        workflows=[OneLocalStep],
        activities=[unhurried_local],
        interceptors=[AttemptDeadlineInterceptor()],
    ):
        result = await dev_server.client.execute_workflow(
            OneLocalStep.run, id=queue, task_queue=queue
        )
    assert result == "done"
