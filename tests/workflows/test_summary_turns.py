"""The pinned summary is updated one call at a time: changes, reminders, renumbering and links
update it from their own tasks, and two updates in flight could reach Slack out of order and
leave an older summary pinned."""

from __future__ import annotations

import asyncio
import uuid

from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.types import MessageResult, UpsertMessageInput
from fireline.models import ChannelRef, DeclareIncidentInput, IncidentStatus
from tests.workflows.test_incident_workflow import declare_input
from workflows.incident.state import IncidentState
from workflows.incident.steps import upsert_summary


@workflow.defn(sandboxed=False)
class TwoSummaryUpdates:
    """Two tasks of one incident update its summary at once, the second after a change."""

    @workflow.run
    async def run(self, input: DeclareIncidentInput) -> None:
        state = IncidentState.declared(input, "http://temporal/wf")
        state.incident.channel = ChannelRef(id="C42", name="inc-42", url="https://fake/C42")

        async def after_a_change() -> None:
            state.incident.status = IncidentStatus.MITIGATED
            await upsert_summary(state, pin=False)

        await asyncio.gather(upsert_summary(state, pin=False), after_a_change())


async def test_summary_updates_wait_for_each_other_and_show_the_incident_now(
    time_skipping: WorkflowEnvironment,
) -> None:
    shown: list[str] = []

    @activity.defn(name="upsert_message")
    async def upsert(input: UpsertMessageInput) -> MessageResult:
        shown.append(str(input.blocks))
        return MessageResult(channel=input.channel, ts="1.1")

    queue = f"tq-{uuid.uuid4()}"
    async with Worker(
        time_skipping.client,
        task_queue=queue,
        workflows=[TwoSummaryUpdates],
        activities=[upsert],
    ):
        handle = await time_skipping.client.start_workflow(
            TwoSummaryUpdates.run, declare_input(), id=f"wf-{uuid.uuid4()}", task_queue=queue
        )
        await handle.result()

    events = [event.event_type for event in (await handle.fetch_history()).events]
    scheduled = [
        i for i, kind in enumerate(events) if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    completed = [
        i for i, kind in enumerate(events) if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
    ]
    assert len(scheduled) == 2 and scheduled[1] > completed[0]  # the second waited its turn
    assert "mitigated" in shown[-1].lower()


@workflow.defn(sandboxed=False)
class QueuedSummaryUpdates:
    """Three tasks of one incident update its summary at once; the incident changed once."""

    @workflow.run
    async def run(self, input: DeclareIncidentInput) -> None:
        state = IncidentState.declared(input, "http://temporal/wf")
        state.incident.channel = ChannelRef(id="C42", name="inc-42", url="https://fake/C42")

        async def after_a_change() -> None:
            state.incident.status = IncidentStatus.MITIGATED
            await upsert_summary(state, pin=False)

        await asyncio.gather(
            upsert_summary(state, pin=False),
            after_a_change(),
            upsert_summary(state, pin=False),  # queued behind the change: shows the same
        )


async def test_queued_summary_updates_showing_the_same_make_one_call(
    time_skipping: WorkflowEnvironment,
) -> None:
    shown: list[str] = []

    @activity.defn(name="upsert_message")
    async def upsert(input: UpsertMessageInput) -> MessageResult:
        shown.append(str(input.blocks))
        return MessageResult(channel=input.channel, ts="1.1")

    queue = f"tq-{uuid.uuid4()}"
    async with Worker(
        time_skipping.client,
        task_queue=queue,
        workflows=[QueuedSummaryUpdates],
        activities=[upsert],
    ):
        await time_skipping.client.execute_workflow(
            QueuedSummaryUpdates.run, declare_input(), id=f"wf-{uuid.uuid4()}", task_queue=queue
        )

    assert len(shown) == 2  # the third would have shown what the second did
    assert "investigating" in shown[0].lower() and "mitigated" in shown[1].lower()
