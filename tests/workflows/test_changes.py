"""Running an incident through its signals, on the time-skipping server with stand-in activities:
what each change does, what is refused and told, order, redeliveries and closing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from fireline import search_attributes, signals
from fireline.models import DeclareIncidentInput, IncidentSnapshot, IncidentStatus
from fireline.policy import SeverityPolicy, load_policy
from tests.helpers import eventually
from tests.workflows.test_incident_workflow import FakeActivities, declare_input
from workflows.incident import IncidentWorkflow

Handle = WorkflowHandle[IncidentWorkflow, IncidentSnapshot]


@asynccontextmanager
async def running(
    env: WorkflowEnvironment, fakes: FakeActivities, input: DeclareIncidentInput | None = None
) -> AsyncIterator[Handle]:
    input = input or declare_input()
    queue = f"tq-{uuid.uuid4()}"
    async with Worker(
        env.client, task_queue=queue, workflows=[IncidentWorkflow], activities=fakes.all()
    ):
        handle = await env.client.start_workflow(
            IncidentWorkflow.run, input, id=input.incident_id, task_queue=queue
        )
        yield handle


async def incident_when(handle: Handle, check: Any) -> IncidentSnapshot:
    async def probe() -> IncidentSnapshot | None:
        incident = await handle.query(IncidentWorkflow.get_incident)
        return incident if check(incident) else None

    return await eventually(probe)


async def severities(handle: Handle, *levels: str, by: str = "UBOB") -> None:
    """Change the incident's severity to each of `levels` in turn."""
    for level in levels:
        await handle.signal(
            signals.CHANGE_SEVERITY, signals.ChangeSeverityInput(severity=level, by=by)
        )


def said(fakes: FakeActivities, step_prefix: str = "event:") -> list[str]:
    """What the incident said in its channel for changes, in order (the blocks as text)."""
    return [
        str(message.blocks)
        for message in fakes.messages
        if message.step.startswith(step_prefix) and message.channel == "C42"
    ]


async def test_a_status_change_updates_everything_that_shows_it(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes) as handle:
        await incident_when(handle, lambda incident: incident.declaration_complete)
        await handle.signal(
            signals.CHANGE_STATUS,
            signals.ChangeStatusInput(status="identified", by="UBOB", note="bad deploy"),
        )
        incident = await incident_when(handle, lambda i: i.status is IncidentStatus.IDENTIFIED)
        await eventually(lambda: fakes.events and said(fakes) and fakes.calls["topic"] == 2)
        description = await handle.describe()

    (line,) = said(fakes)
    assert "<@UBOB> moved *INC-42* from investigating to *identified*" in line
    assert "bad deploy" in line
    summaries = [m for m in fakes.messages if m.step == "summary"]
    assert len(summaries) == 2 and summaries[-1].ts is not None  # posted, then updated in place
    assert "identified" in str(summaries[-1].blocks)
    assert fakes.calls["topic"] == 2
    feeds = [m for m in fakes.messages if m.step == "feed"]
    assert len(feeds) == 1  # the feed stand-in refuses: no feed post to update
    assert incident.identified_at is not None and incident.mitigated_at is None
    assert description.typed_search_attributes[search_attributes.INCIDENT_STATUS] == "identified"
    (event,) = fakes.events
    assert (event.kind, event.actor_id, event.old, event.new, event.text) == (
        "status_changed",
        "UBOB",
        "investigating",
        "identified",
        "bad deploy",
    )
    assert incident.timeline_length == 2


async def test_a_refused_move_changes_nothing_and_tells_its_actor(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes) as handle:
        await incident_when(handle, lambda incident: incident.declaration_complete)
        for status in ("bogus", "investigating"):
            await handle.signal(
                signals.CHANGE_STATUS, signals.ChangeStatusInput(status=status, by="UBOB")
            )
        await eventually(lambda: len(fakes.told) == 2)
        incident = await handle.query(IncidentWorkflow.get_incident)

    assert incident.status is IncidentStatus.INVESTIGATING and incident.timeline_length == 1
    unknown, same = fakes.told
    assert unknown.user == "UBOB" and unknown.channel == "C42"
    assert "Unknown status `bogus`" in unknown.text and "identified" in unknown.text
    assert "already investigating" in same.text and "Allowed from investigating" in same.text
    assert said(fakes) == []


async def test_resolve_reports_durations_and_reopen_clears_them(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes) as handle:
        await incident_when(handle, lambda incident: incident.declaration_complete)
        await handle.signal(
            signals.CHANGE_STATUS, signals.ChangeStatusInput(status="resolved", by="UBOB")
        )
        resolved = await incident_when(handle, lambda i: i.status is IncidentStatus.RESOLVED)
        await handle.signal(
            signals.CHANGE_STATUS, signals.ChangeStatusInput(status="identified", by="UCAROL")
        )
        reopened = await incident_when(handle, lambda i: i.status is IncidentStatus.IDENTIFIED)
        await eventually(lambda: len(said(fakes)) == 2)

    # Skipping to resolved marks the stages on the way; reopening clears those after it.
    assert resolved.identified_at == resolved.mitigated_at == resolved.resolved_at is not None
    assert reopened.identified_at == resolved.identified_at
    assert reopened.mitigated_at is None and reopened.resolved_at is None
    resolution, reopening = said(fakes)
    assert "resolved *INC-42*" in resolution and "mitigated after" in resolution
    assert "<@UCAROL> reopened *INC-42*" in reopening


async def test_changes_sent_during_declaration_apply_after_the_channel_in_order(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities()
    input = declare_input()
    queue = f"tq-{uuid.uuid4()}"
    # Signalled before any worker runs: both arrive with the start, before the channel exists.
    handle = await time_skipping.client.start_workflow(
        IncidentWorkflow.run, input, id=input.incident_id, task_queue=queue
    )
    await handle.signal(
        signals.CHANGE_STATUS, signals.ChangeStatusInput(status="identified", by="UA")
    )
    await handle.signal(
        signals.CHANGE_STATUS, signals.ChangeStatusInput(status="mitigated", by="UB")
    )
    async with Worker(
        time_skipping.client, task_queue=queue, workflows=[IncidentWorkflow], activities=fakes.all()
    ):
        incident = await incident_when(handle, lambda i: i.status is IncidentStatus.MITIGATED)
        await eventually(lambda: len(said(fakes)) == 2)

    first, second = said(fakes)
    assert "<@UA>" in first and "identified" in first
    assert "<@UB>" in second and "mitigated" in second
    assert incident.channel is not None and incident.timeline_length == 3
    # The summary's last update shows the last change.
    assert "mitigated" in str([m for m in fakes.messages if m.step == "summary"][-1].blocks)


async def test_a_redelivered_request_changes_nothing_twice(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes) as handle:
        note = signals.AddNoteInput(text="rolled back", by="UBOB", request_id="V123")
        for _ in range(3):
            await handle.signal(signals.ADD_NOTE, note)
        await handle.signal(signals.ADD_NOTE, signals.AddNoteInput(text="second note", by="UBOB"))
        incident = await incident_when(handle, lambda i: i.timeline_length == 3)
        await eventually(lambda: len(said(fakes)) == 2)

    assert incident.timeline_length == 3
    assert ["rolled back" in line for line in said(fakes)] == [True, False]


def policy_with_lead() -> SeverityPolicy:
    policy = load_policy()
    sev1 = policy.level("SEV1")
    assert sev1 is not None
    sev1.invite = ["ULEAD"]
    return policy


async def test_promotion_runs_what_the_new_level_adds_once_and_demotion_undoes_nothing(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities()
    input = declare_input()
    input.policy = policy_with_lead()
    async with running(time_skipping, fakes, input) as handle:
        await incident_when(handle, lambda incident: incident.declaration_complete)
        await severities(handle, "SEV1", "SEV3", "SEV1", by="UB")
        incident = await incident_when(handle, lambda i: i.timeline_length == 4)
        await eventually(lambda: len(said(fakes)) == 3)
        description = await handle.describe()

    assert incident.severity.name == "SEV1"
    assert fakes.calls["status_channel"] == 1
    assert description.typed_search_attributes[search_attributes.INCIDENT_SEVERITY] == "SEV1"
    lead_invites = [invite for invite in fakes.invites if "ULEAD" in invite.user_ids]
    assert len(lead_invites) == 1
    promoted, demoted, promoted_again = said(fakes)
    assert "promoted *INC-42* from SEV2 to *SEV1*" in promoted
    assert "demoted *INC-42* from SEV1 to *SEV3*" in demoted
    assert "promoted" in promoted_again


async def test_an_unknown_severity_or_role_is_refused_with_the_choices(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes) as handle:
        await incident_when(handle, lambda incident: incident.declaration_complete)
        await handle.signal(
            signals.CHANGE_SEVERITY, signals.ChangeSeverityInput(severity="SEV9", by="UB")
        )
        await handle.signal(
            signals.ASSIGN_ROLE, signals.AssignRoleInput(role="chef", user="UX", by="UB")
        )
        await handle.signal(
            signals.ASSIGN_ROLE, signals.AssignRoleInput(role="comms", user="@bob", by="UB")
        )
        await eventually(lambda: len(fakes.told) == 3)

    severity, role, user = (told.text for told in fakes.told)
    assert "Unknown severity `SEV9`" in severity and "SEV1, SEV2, SEV3, SEV4" in severity
    assert "Unknown role `chef`" in role and "commander, comms, tech_lead" in role
    assert "pick one with @-mention" in user


async def test_a_role_is_invited_told_and_shown(time_skipping: WorkflowEnvironment) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes) as handle:
        await incident_when(handle, lambda incident: incident.declaration_complete)
        for role, user in (("comms", "UCOMMS"), ("commander", "UNEWCMD")):
            await handle.signal(
                signals.ASSIGN_ROLE, signals.AssignRoleInput(role=role, user=user, by="UB")
            )
        incident = await incident_when(
            handle, lambda i: len(i.roles) == 2 and i.timeline_length == 3
        )
        await eventually(lambda: len([m for m in fakes.messages if "role_dm" in m.step]) == 2)
        description = await handle.describe()

    assert incident.roles == {"commander": "UNEWCMD", "comms": "UCOMMS"}
    assert incident.commander_id == "UNEWCMD"
    assert description.typed_search_attributes[search_attributes.INCIDENT_COMMANDER] == "UNEWCMD"
    assert [invite.user_ids for invite in fakes.invites[1:]] == [["UCOMMS"], ["UNEWCMD"]]
    comms_dm = next(
        m for m in fakes.messages if m.step.startswith("role_dm") and m.channel == "UCOMMS"
    )
    assert "Keeps stakeholders" in str(comms_dm.blocks) and "<#C42>" in str(comms_dm.blocks)
    summary = str([m for m in fakes.messages if m.step == "summary"][-1].blocks)
    assert "<@UCOMMS>" in summary and "<@UNEWCMD>" in summary


async def test_an_update_moves_the_status_and_is_kept(time_skipping: WorkflowEnvironment) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes) as handle:
        await incident_when(handle, lambda incident: incident.declaration_complete)
        await handle.signal(
            signals.POST_UPDATE,
            signals.PostUpdateInput(text="Fix deployed", status="mitigated", by="UB"),
        )
        incident = await incident_when(handle, lambda i: i.last_update is not None)
        await eventually(lambda: len(fakes.events) == 2 and said(fakes))

    assert incident.status is IncidentStatus.MITIGATED
    assert incident.last_update is not None and incident.last_update.text == "Fix deployed"
    assert [event.kind for event in fakes.events] == ["status_changed", "update_posted"]
    (line,) = said(fakes)
    assert "Update on INC-42" in line and "Fix deployed" in line


async def test_closing_ends_the_workflow_after_archiving_when_the_policy_says_so(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities()
    input = declare_input()
    assert input.policy is not None
    input.policy.archive_on_close = True
    async with running(time_skipping, fakes, input) as handle:
        await handle.signal(
            signals.CHANGE_STATUS, signals.ChangeStatusInput(status="closed", by="UB")
        )
        incident = await handle.result()

    assert incident.status is IncidentStatus.CLOSED and incident.closed_at is not None
    assert fakes.calls["archive"] == 1
    assert fakes.records[-1].status is IncidentStatus.CLOSED
    assert [event.new for event in fakes.events] == ["closed"]
