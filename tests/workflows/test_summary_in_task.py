"""A change shows on the pinned summary from the workflow task that applied it: the update is a
local activity, with one short attempt. When Slack is slow, the update is queued as any other step
instead, so the workflow task, and every query the bot sends, need not wait for Slack."""

from __future__ import annotations

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.testing import WorkflowEnvironment

from fireline import signals
from fireline.models import IncidentStatus
from tests.helpers import eventually
from tests.workflows.test_changes import Handle, incident_when, running
from tests.workflows.test_incident_workflow import FakeActivities

UPDATED = "update the summary in #inc-42-x"
QUEUED = f"{UPDATED} (again, queued: Slack was slow or failed)"


def summaries(fakes: FakeActivities) -> list[str]:
    return [str(m.blocks) for m in fakes.messages if m.step == "summary"]


async def operator_rows(env: WorkflowEnvironment, handle: Handle) -> list[str]:
    """The summary of every activity scheduled and every local activity run, in order."""
    history = await handle.fetch_history()
    converter = env.client.data_converter

    async def summary(event: HistoryEvent) -> str:
        (text,) = await converter.decode([event.user_metadata.summary], [str])
        return str(text)

    return [
        await summary(event)
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        or event.marker_recorded_event_attributes.marker_name == "core_local_activity"
    ]


async def identified(handle: Handle) -> None:
    await incident_when(handle, lambda incident: incident.declaration_complete)
    await handle.signal(
        signals.CHANGE_STATUS, signals.ChangeStatusInput(status="identified", by="UBOB")
    )


async def test_a_change_updates_the_summary_from_its_own_workflow_task(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes) as handle:
        await identified(handle)
        await eventually(lambda: "*Status*\\nidentified" in summaries(fakes)[-1])
        rows = await operator_rows(time_skipping, handle)

    assert fakes.local_steps[-1] == "summary"
    assert UPDATED in rows and QUEUED not in rows


async def test_a_slow_slack_gets_the_update_queued(time_skipping: WorkflowEnvironment) -> None:
    fakes = FakeActivities(summary_in_task_hangs=1)
    async with running(time_skipping, fakes) as handle:
        await identified(handle)
        incident = await incident_when(handle, lambda i: i.status is IncidentStatus.IDENTIFIED)
        await eventually(lambda: "*Status*\\nidentified" in summaries(fakes)[-1])
        rows = await operator_rows(time_skipping, handle)

    assert incident.status is IncidentStatus.IDENTIFIED
    assert "summary" in fakes.local_steps  # tried in the task first, given up after 1 s
    assert QUEUED in rows
