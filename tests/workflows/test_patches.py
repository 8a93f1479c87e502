"""An incident records every patch it runs with as one marker (patches.INCIDENT_PATCHES_2026_11):
each marker recorded live also upserts a search attribute, and a declaration asked seven."""

from __future__ import annotations

from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from fireline import signals
from fireline.models import IncidentStatus
from tests.history import change_version_upserts, patch_ids
from tests.workflows.record_histories import HISTORIES
from tests.workflows.test_changes import incident_when, running, severities
from tests.workflows.test_incident_workflow import FakeActivities
from workflows import patches


async def test_an_incident_records_one_patch_marker(time_skipping: WorkflowEnvironment) -> None:
    async with running(time_skipping, FakeActivities()) as handle:
        await incident_when(handle, lambda incident: incident.declaration_complete)
        await severities(handle, "SEV1")
        for status in ("identified", "closed"):
            await handle.signal(
                signals.CHANGE_STATUS, signals.ChangeStatusInput(status=status, by="UBOB")
            )
        incident = await handle.result()
        history = await handle.fetch_history()

    assert incident.status is IncidentStatus.CLOSED
    assert patch_ids(history) == [patches.INCIDENT_PATCHES_2026_11]
    assert change_version_upserts(history) == 1


def test_incidents_from_before_the_fold_are_kept_to_replay() -> None:
    """test_replay replays them: each of their patches is still asked on its own."""
    before = WorkflowHistory.from_json(
        "closed", (HISTORIES / "incident_run_until_closed.json").read_text()
    )
    recorded = patch_ids(before)
    assert len(recorded) > 1 and patches.INCIDENT_PATCHES_2026_11 not in recorded
