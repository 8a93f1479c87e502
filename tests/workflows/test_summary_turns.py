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
from tests.history import LOCAL_ACTIVITY_MARKER
from tests.workflows.test_incident_workflow import declare_input
from workflows.incident.state import IncidentState
from workflows.incident.steps import upsert_summary


@workflow.defn(sandboxed=False)
class SummaryUpdates:
    """Tasks of one incident update its summary at once: one, one after a change, and `queued`
    more behind those, which show the incident as the change left it."""

    @workflow.run
    async def run(self, input: DeclareIncidentInput, queued: int) -> None:
        state = IncidentState.declared(input, "http://temporal/wf")
        state.incident.channel = ChannelRef(id="C42", name="inc-42", url="https://fake/C42")

        async def after_a_change() -> None:
            state.incident.status = IncidentStatus.MITIGATED
            await upsert_summary(state, pin=False)

        await asyncio.gather(
            upsert_summary(state, pin=False),
            after_a_change(),
            *(upsert_summary(state, pin=False) for _ in range(queued)),
        )


async def summaries_sent(env: WorkflowEnvironment, queued: int) -> tuple[list[str], list[str]]:
    """The summaries sent to Slack, and what each event of the workflow's history is: its
    type, or the name of the marker it records."""
    shown: list[str] = []

    @activity.defn(name="upsert_message")
    async def upsert(input: UpsertMessageInput) -> MessageResult:
        shown.append(str(input.blocks))
        return MessageResult(channel=input.channel, ts="1.1")

    queue = f"tq-{uuid.uuid4()}"
    async with Worker(
        env.client, task_queue=queue, workflows=[SummaryUpdates], activities=[upsert]
    ):
        handle = await env.client.start_workflow(
            SummaryUpdates.run,
            args=[declare_input(), queued],
            id=f"wf-{uuid.uuid4()}",
            task_queue=queue,
        )
        await handle.result()
    return shown, [
        event.marker_recorded_event_attributes.marker_name or EventType.Name(event.event_type)
        for event in (await handle.fetch_history()).events
    ]


async def test_summary_updates_wait_for_each_other_and_show_the_incident_now(
    time_skipping: WorkflowEnvironment,
) -> None:
    shown, events = await summaries_sent(time_skipping, queued=0)

    def where(kind: str) -> list[int]:
        return [i for i, event in enumerate(events) if event == kind]

    # The post is scheduled on the task queue; the update of what it posted runs as a local
    # activity, and only once the post is done: it waited its turn.
    (posted,) = where("EVENT_TYPE_ACTIVITY_TASK_COMPLETED")
    (updated,) = where(LOCAL_ACTIVITY_MARKER)
    assert len(where("EVENT_TYPE_ACTIVITY_TASK_SCHEDULED")) == 1 and updated > posted
    assert "mitigated" in shown[-1].lower()


async def test_queued_summary_updates_showing_the_same_make_one_call(
    time_skipping: WorkflowEnvironment,
) -> None:
    shown, _ = await summaries_sent(time_skipping, queued=1)

    assert len(shown) == 2  # the third would have shown what the second did
    assert "investigating" in shown[0].lower() and "mitigated" in shown[1].lower()
