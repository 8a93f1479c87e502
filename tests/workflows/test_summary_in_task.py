"""A change shows on the pinned summary from the workflow task that applied it: the update is a
local activity, with one short attempt. When Slack is slow, the update is queued as any other step
instead, so the workflow task, and every query the bot sends, need not wait for Slack."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from fireline import signals
from fireline.models import IncidentStatus
from tests.helpers import eventually
from tests.history import step_summaries
from tests.workflows.test_changes import Handle, incident_when, running
from tests.workflows.test_incident_workflow import FakeActivities
from tests.workflows.test_status_channel import summaries

UPDATED = "update the summary in #inc-42-x"
QUEUED = f"{UPDATED} (again, queued: Slack was slow or failed)"


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
        rows = await step_summaries(
            await handle.fetch_history(), time_skipping.client.data_converter
        )

    assert fakes.local_steps[-1] == "summary"
    assert UPDATED in rows and QUEUED not in rows


async def test_a_slow_slack_gets_the_update_queued(time_skipping: WorkflowEnvironment) -> None:
    fakes = FakeActivities(summary_in_task_hangs=1)
    async with running(time_skipping, fakes) as handle:
        await identified(handle)
        incident = await incident_when(handle, lambda i: i.status is IncidentStatus.IDENTIFIED)
        await eventually(lambda: "*Status*\\nidentified" in summaries(fakes)[-1])
        rows = await step_summaries(
            await handle.fetch_history(), time_skipping.client.data_converter
        )

    assert incident.status is IncidentStatus.IDENTIFIED
    assert "summary" in fakes.local_steps  # tried in the task first, given up after 1 s
    assert QUEUED in rows
