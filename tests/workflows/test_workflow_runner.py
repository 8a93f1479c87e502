"""The worker's workflow runner does what the SDK's sandbox does, only cheaper: the same payloads
get the same serialization contexts, and workflow code meets the same restrictions."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Self

import pytest
from temporalio import activity, workflow
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowFailureError
from temporalio.converter import (
    DataConverter,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
)
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from fireline.workflow_runner import WorkflowRunner


@activity.defn
async def shout(text: str) -> str:
    return text.upper()


@workflow.defn
class ContextsWorkflow:
    def __init__(self) -> None:
        self._heard: list[str] = []

    @workflow.signal
    def hear(self, text: str) -> None:
        self._heard.append(text)

    @workflow.run
    async def run(self, text: str) -> list[str]:
        await workflow.wait_condition(lambda: bool(self._heard))
        loud = await workflow.execute_activity(
            shout, text, start_to_close_timeout=timedelta(seconds=5), summary="shout"
        )
        await workflow.sleep(timedelta(minutes=1), summary="pause")
        return [loud, *self._heard]


@workflow.defn(failure_exception_types=[Exception])
class ClockReadingWorkflow:
    @workflow.run
    async def run(self) -> str:
        return datetime.now().isoformat()  # what the sandbox exists to refuse


class ContextLog(PayloadCodec, WithSerializationContext):
    """Passes payloads through and notes the context each one was encoded or decoded with."""

    def __init__(self, seen: list[str], context: SerializationContext | None = None) -> None:
        self.seen = seen
        self.context = context

    def with_context(self, context: SerializationContext) -> Self:
        return type(self)(self.seen, context)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.seen.extend(f"encode {self.context}" for _ in payloads)
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.seen.extend(f"decode {self.context}" for _ in payloads)
        return list(payloads)


async def contexts_seen(env: WorkflowEnvironment, runner: SandboxedWorkflowRunner) -> list[str]:
    seen: list[str] = []
    converter = dataclasses.replace(DataConverter.default, payload_codec=ContextLog(seen))
    # The environment's client but for its converter: time still skips for its calls.
    client = Client(**{**env.client.config(), "data_converter": converter})
    queue = "contexts"  # the same in both runs: it is part of an activity's context
    async with Worker(
        client,
        task_queue=queue,
        workflows=[ContextsWorkflow],
        activities=[shout],
        workflow_runner=runner,
        max_cached_workflows=0,  # every task replays: contexts on the replay path too
    ):
        handle = await client.start_workflow(
            ContextsWorkflow.run,
            "quiet",
            id="contexts",
            task_queue=queue,
            start_signal="hear",
            start_signal_args=["psst"],
        )
        assert await handle.result() == ["QUIET", "psst"]
    return seen


async def test_payloads_get_the_contexts_the_sdk_sandbox_gives_them(
    time_skipping: WorkflowEnvironment,
) -> None:
    stock = await contexts_seen(time_skipping, SandboxedWorkflowRunner())
    ours = await contexts_seen(time_skipping, WorkflowRunner())
    # How often each is seen follows how the server batched the tasks; which ones, never.
    assert set(ours) == set(stock)
    assert any("ActivitySerializationContext" in line for line in ours)


async def test_workflow_code_meets_the_sandbox_restrictions(
    time_skipping: WorkflowEnvironment,
) -> None:
    client = time_skipping.client
    async with Worker(
        client,
        task_queue="clock",
        workflows=[ClockReadingWorkflow],
        workflow_runner=WorkflowRunner(),
    ):
        with pytest.raises(WorkflowFailureError) as failed:
            await client.execute_workflow(ClockReadingWorkflow.run, id="clock", task_queue="clock")
    assert "datetime.datetime.now" in str(failed.value.cause)
