"""The status channel from the incident workflow, on the time-skipping server with stand-in
activities: opened once, linked, fed every update, status change and the resolution, archived on
close, kept on demotion, never for a private incident."""

from __future__ import annotations

import asyncio

from temporalio.testing import WorkflowEnvironment

from fireline import signals
from fireline.models import IncidentStatus
from tests.helpers import eventually
from tests.workflows.test_changes import incident_when, running, severities
from tests.workflows.test_incident_workflow import FakeActivities
from tests.workflows.test_paging import at_level, status
from workflows.incident import IncidentWorkflow


def posted(fakes: FakeActivities, channel: str = "CSTATUS") -> list[str]:
    return [str(m.blocks) for m in fakes.messages if m.channel == channel]


async def test_a_status_channel_is_opened_once_fed_and_archived(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities()
    input = at_level("SEV1")
    assert input.policy is not None
    input.policy.archive_on_close = True
    async with running(time_skipping, fakes, input) as handle:
        incident = await incident_when(handle, lambda i: i.status_channel is not None)
        await handle.signal(
            signals.POST_UPDATE, signals.PostUpdateInput(text="Payments recover", by="UBOB")
        )
        await status(handle, "resolved")
        await status(handle, "closed")
        await handle.result()

    assert fakes.calls["status_channel"] == 1
    assert incident.status_channel is not None and incident.status_channel.id == "CSTATUS"
    intro, update, resolution, closing = posted(fakes)
    assert "Updates on *INC-42*" in intro and "<#C42>" in intro
    assert "Payments recover" in update
    assert "INC-42 is now resolved" in resolution and "It lasted" in resolution
    assert "closed" in closing
    (link,) = [m for m in fakes.messages if m.step == "status_channel_link"]
    assert link.channel == "C42" and "<#CSTATUS>" in str(link.blocks)
    summary = [m for m in fakes.messages if m.step == "summary"][-1]
    assert "Stakeholder updates: <#CSTATUS>" in str(summary.blocks)
    assert "CSTATUS" in fakes.archived and "C42" in fakes.archived
    assert fakes.records[-1].status_channel == incident.status_channel


async def test_promotion_opens_it_once_and_demotion_keeps_it(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes, at_level("SEV3")) as handle:
        await incident_when(handle, lambda incident: incident.declaration_complete)
        assert fakes.calls["status_channel"] == 0
        await severities(handle, "SEV1", "SEV3", "SEV1")
        await eventually(lambda: len([e for e in fakes.events if e.kind.startswith("sev")]) == 3)
        await status(handle, "identified")
        incident = await incident_when(handle, lambda i: i.status is IncidentStatus.IDENTIFIED)
        await eventually(lambda: len(posted(fakes)) == 2)

    assert fakes.calls["status_channel"] == 1
    assert incident.status_channel is not None
    assert "INC-42 is now identified" in posted(fakes)[1]


async def test_changes_after_a_promotion_do_not_wait_for_the_status_channel(
    time_skipping: WorkflowEnvironment,
) -> None:
    slack_is_slow = asyncio.Event()
    fakes = FakeActivities(status_channel_gate=slack_is_slow)
    async with running(time_skipping, fakes, at_level("SEV3")) as handle:
        await incident_when(handle, lambda incident: incident.declaration_complete)
        await handle.signal(
            signals.CHANGE_SEVERITY, signals.ChangeSeverityInput(severity="SEV1", by="UBOB")
        )
        await eventually(lambda: fakes.calls["status_channel"] == 1)
        await status(handle, "identified")
        # Applied and on the pinned summary while the status channel is still being made.
        await eventually(lambda: "*Status*\\nidentified" in summaries(fakes)[-1])
        assert (await handle.query(IncidentWorkflow.get_incident)).status_channel is None
        slack_is_slow.set()
        incident = await incident_when(handle, lambda i: i.status_channel is not None)
    assert incident.status is IncidentStatus.IDENTIFIED and fakes.calls["status_channel"] == 1


async def test_a_promotion_while_it_is_being_made_makes_no_second_one(
    time_skipping: WorkflowEnvironment,
) -> None:
    slack_is_slow = asyncio.Event()
    fakes = FakeActivities(status_channel_gate=slack_is_slow)
    async with running(time_skipping, fakes, at_level("SEV3")) as handle:
        await incident_when(handle, lambda incident: incident.declaration_complete)
        await severities(handle, "SEV1", "SEV3", "SEV1")
        await incident_when(handle, lambda i: i.timeline_length == 4)  # all three applied
        slack_is_slow.set()
        incident = await incident_when(handle, lambda i: i.status_channel is not None)
        await status(handle, "identified")
        await eventually(lambda: len(posted(fakes)) == 2)
    assert fakes.calls["status_channel"] == 1
    assert incident.status_channel is not None and incident.severity.name == "SEV1"


def summaries(fakes: FakeActivities) -> list[str]:
    return [str(m.blocks) for m in fakes.messages if m.step == "summary"]


async def test_never_for_a_private_incident(time_skipping: WorkflowEnvironment) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes, at_level("SEV1", private=True)) as handle:
        await incident_when(handle, lambda incident: incident.declaration_complete)
        await status(handle, "resolved")
        incident = await incident_when(handle, lambda i: i.status is IncidentStatus.RESOLVED)
    assert fakes.calls["status_channel"] == 0 and incident.status_channel is None
    assert posted(fakes) == []
