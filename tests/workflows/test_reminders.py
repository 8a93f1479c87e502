"""Reminders and nudges as durable timers, on the time-skipping server: the update cadence and
what resets, changes or stops it, the stale, unclaimed-role and postmortem nudges, snoozing, and
what operators see. A reminder due when a change or a worker outage came is tested on the schedule
itself (test_reminder_schedule.py), and here for a resolve that came while no worker ran: the
time-skipping server stops the clock while a workflow task waits for a worker."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from fireline import signals
from fireline.models import DeclareIncidentInput, IncidentStatus, ReminderKind
from fireline.policy import SeverityLevel
from tests.e2e.test_operator_view import operator_view
from tests.helpers import eventually
from tests.workflows.test_changes import Handle, incident_when, running
from tests.workflows.test_incident_workflow import FakeActivities, declare_input
from workflows.incident import IncidentWorkflow

UPDATE_DUE = "time for a status update"


def posted(fakes: FakeActivities, text: str = UPDATE_DUE, channel: str = "C42") -> list[str]:
    """The reminders posted to `channel` that say `text`, as text, in order."""
    return [
        str(m.blocks)
        for m in fakes.messages
        if m.step.startswith("reminder:") and m.channel == channel and text in str(m.blocks)
    ]


def level(input: DeclareIncidentInput, name: str) -> SeverityLevel:
    assert input.policy is not None
    found = input.policy.level(name)
    assert found is not None
    return found


async def declared(handle: Handle) -> None:
    await incident_when(handle, lambda incident: incident.declaration_complete)


async def change(handle: Handle, signal: str, change: signals.Change, check: object) -> None:
    """Send a change and wait until the incident shows it (`check` on the snapshot)."""
    await handle.signal(signal, change)
    await incident_when(handle, check)


async def test_update_reminders_come_after_30_then_every_25_minutes(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes) as handle:
        await declared(handle)
        await change(
            handle,
            signals.ASSIGN_ROLE,
            signals.AssignRoleInput(role="comms", user="UCOMMS", by="UB"),
            lambda i: "comms" in i.roles,
        )
        await time_skipping.sleep(timedelta(minutes=29))
        assert posted(fakes) == []
        await time_skipping.sleep(timedelta(minutes=2))
        await eventually(lambda: len(posted(fakes)) == 1)
        await time_skipping.sleep(timedelta(minutes=23))  # 54 after declaration
        assert len(posted(fakes)) == 1
        await time_skipping.sleep(timedelta(minutes=2))
        await eventually(lambda: len(posted(fakes)) == 2)
        _, details, timers = await operator_view(handle, time_skipping.client.data_converter)

    first, second = (fakes.scheduled[f"reminder:{n}:0"] for n in (1, 2))
    assert abs(second - first - timedelta(minutes=25)) < timedelta(seconds=2)
    assert "<@UCMD> <@UCOMMS>: time for a status update on *INC-42*" in posted(fakes)[0]
    assert "incident_post_update" in posted(fakes)[0]
    assert "Next update due <!date^" in str([m for m in fakes.messages if m.step == "summary"][-1])
    assert "Reminders:" in details and "update reminder due" in details
    assert any(timer.startswith("update reminder due ") for timer in timers)


@pytest.mark.parametrize("request_id", ["V1", None], ids=["from Slack", "from the CLI"])
async def test_an_update_resets_the_clock(
    time_skipping: WorkflowEnvironment, request_id: str | None
) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes) as handle:
        await declared(handle)
        await time_skipping.sleep(timedelta(minutes=20))
        update = signals.PostUpdateInput(text="rolling back", by="UB", request_id=request_id)
        await change(handle, signals.POST_UPDATE, update, lambda i: i.last_update is not None)
        await time_skipping.sleep(timedelta(minutes=25))  # 45 after declaration
        assert posted(fakes) == []
        await time_skipping.sleep(timedelta(minutes=6))  # 31 after the update
        await eventually(lambda: len(posted(fakes)) == 1)


async def test_promotion_and_demotion_apply_the_new_levels_cadence(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities()
    input = declare_input()
    sev1 = level(input, "SEV1")
    sev1.reminder_first_minutes, sev1.reminder_every_minutes = 10, 10
    async with running(time_skipping, fakes, input) as handle:
        await declared(handle)
        await time_skipping.sleep(timedelta(minutes=20))
        await change(
            handle,
            signals.CHANGE_SEVERITY,
            signals.ChangeSeverityInput(severity="SEV1", by="UB"),
            lambda i: i.severity.name == "SEV1",
        )
        await time_skipping.sleep(timedelta(minutes=11))  # 31 after declaration, 11 after
        await eventually(lambda: len(posted(fakes)) == 1)
        await change(
            handle,
            signals.CHANGE_SEVERITY,
            signals.ChangeSeverityInput(severity="SEV3", by="UB"),
            lambda i: i.severity.name == "SEV3" and ReminderKind.UPDATE not in i.reminders,
        )
        await time_skipping.sleep(timedelta(hours=2))
        assert len(posted(fakes)) == 1


async def test_resolving_stops_reminders_and_reopening_restarts_them(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes) as handle:
        await declared(handle)
        await change(
            handle,
            signals.CHANGE_STATUS,
            signals.ChangeStatusInput(status="resolved", by="UB"),
            lambda i: i.status is IncidentStatus.RESOLVED,
        )
        await time_skipping.sleep(timedelta(hours=2))
        assert posted(fakes) == []
        await change(
            handle,
            signals.CHANGE_STATUS,
            signals.ChangeStatusInput(status="investigating", by="UB"),
            lambda i: ReminderKind.UPDATE in i.reminders,
        )
        await time_skipping.sleep(timedelta(minutes=31))
        await eventually(lambda: len(posted(fakes)) == 1)


def without_update_reminders(input: DeclareIncidentInput) -> DeclareIncidentInput:
    """Days skipped without a reminder every 25 minutes."""
    for name in ("SEV1", "SEV2"):
        level(input, name).reminder_first_minutes = None
    input.severity = level(input, input.severity.name)
    return input


async def test_an_unresolved_incident_is_nudged_after_7_days_then_every_7(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes, without_update_reminders(declare_input())) as handle:
        await declared(handle)
        await time_skipping.sleep(timedelta(days=6, hours=23))
        assert posted(fakes, "has been open") == []
        await time_skipping.sleep(timedelta(hours=2))
        await eventually(lambda: posted(fakes, "has been open", "UCMD"))
        await time_skipping.sleep(timedelta(days=7))
        await eventually(lambda: len(posted(fakes, "has been open")) == 2)

    nudge = posted(fakes, "has been open")[0]
    assert "<@UCMD>: *INC-42* has been open for 7 d" in nudge
    assert len(posted(fakes, "has been open", "UCMD")) == 2


async def test_an_unclaimed_required_role_is_nudged_until_taken(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities()
    input = without_update_reminders(declare_input())
    input.severity = level(input, "SEV1")  # requires comms
    async with running(time_skipping, fakes, input) as handle:
        await declared(handle)
        await time_skipping.sleep(timedelta(minutes=11))
        await eventually(lambda: posted(fakes, "no comms"))
        await time_skipping.sleep(timedelta(minutes=10))
        await eventually(lambda: len(posted(fakes, "no comms")) == 2)
        await change(
            handle,
            signals.ASSIGN_ROLE,
            signals.AssignRoleInput(role="comms", user="UCOMMS", by="UCOMMS", request_id="A1"),
            lambda i: ReminderKind.UNCLAIMED_ROLE not in i.reminders,
        )
        await time_skipping.sleep(timedelta(hours=1))

    assert len(posted(fakes, "no comms")) == 2
    assert "incident_take_role:comms" in posted(fakes, "no comms")[0]


async def test_the_postmortem_is_reminded_after_resolve_until_closed(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes) as handle:
        await declared(handle)
        await change(
            handle,
            signals.CHANGE_STATUS,
            signals.ChangeStatusInput(status="resolved", by="UB"),
            lambda i: ReminderKind.POSTMORTEM in i.reminders,
        )
        await time_skipping.sleep(timedelta(days=4, hours=23))
        assert posted(fakes, "postmortem is due", "UCMD") == []
        await time_skipping.sleep(timedelta(hours=2))
        await eventually(lambda: posted(fakes, "postmortem is due", "UCMD"))
        await time_skipping.sleep(timedelta(days=2))
        await eventually(lambda: len(posted(fakes, "postmortem is due", "UCMD")) == 2)
        await handle.signal(
            signals.CHANGE_STATUS, signals.ChangeStatusInput(status="closed", by="UB")
        )
        await handle.result()
        status = (await handle.describe()).status

    assert status is WorkflowExecutionStatus.COMPLETED
    assert len(posted(fakes, "postmortem is due", "UCMD")) == 2


async def test_a_snooze_postpones_the_next_update_reminder_and_is_recorded(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes) as handle:
        await declared(handle)
        await time_skipping.sleep(timedelta(minutes=20))
        await change(
            handle,
            signals.SNOOZE_REMINDER,
            signals.SnoozeReminderInput(minutes=60, by="UB"),
            lambda i: i.timeline_length == 2,
        )
        await time_skipping.sleep(timedelta(minutes=59))  # 79 after declaration
        assert posted(fakes) == []
        await time_skipping.sleep(timedelta(minutes=2))
        await eventually(lambda: len(posted(fakes)) == 1 and fakes.events)

    (event,) = fakes.events
    assert (event.kind, event.actor_id, event.text) == ("reminder_snoozed", "UB", "60")
    assert any("snoozed the update reminder" in str(m.blocks) for m in fakes.messages)


@pytest.mark.parametrize("minutes", [0, 24 * 60 + 1])
async def test_a_bad_snooze_is_refused_and_told(
    time_skipping: WorkflowEnvironment, minutes: int
) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes) as handle:
        await declared(handle)
        before = await handle.query(IncidentWorkflow.get_incident)
        await handle.signal(
            signals.SNOOZE_REMINDER, signals.SnoozeReminderInput(minutes=minutes, by="UB")
        )
        await eventually(lambda: fakes.told)
        after = await handle.query(IncidentWorkflow.get_incident)

    assert "Snooze for 1 minute to 24 hours" in fakes.told[0].text
    assert after.reminders == before.reminders and after.timeline_length == 1


async def test_a_reminder_due_as_the_incident_resolves_is_dropped(
    time_skipping: WorkflowEnvironment,
) -> None:
    """The reminder's timer fires and two changes, the last a resolve, arrive while no worker
    runs: the worker that returns gets them all in one task, applies both changes before it
    judges the reminder, and the reminder never comes."""
    fakes = FakeActivities()
    input = declare_input()
    queue = f"tq-{uuid.uuid4()}"
    client = time_skipping.client
    # Nothing cached: the next task goes to the queue any worker polls, not this one's own.
    worker = Worker(
        client,
        task_queue=queue,
        workflows=[IncidentWorkflow],
        activities=fakes.all(),
        max_cached_workflows=0,
    )
    async with worker:
        handle = await client.start_workflow(
            IncidentWorkflow.run, input, id=input.incident_id, task_queue=queue
        )
        # Seen in the record, not queried: a query to a worker caching nothing may time out.
        await eventually(lambda: fakes.records and fakes.records[-1].declaration_complete)

        async def nothing_left() -> bool:
            # The worker leaves no task behind (one waiting for a poller stops time skipping).
            described = (await handle.describe()).raw_description
            return not described.pending_activities and not described.HasField(
                "pending_workflow_task"
            )

        await eventually(nothing_left)
    due = fakes.records[-1].reminders[ReminderKind.UPDATE]
    # Just past the due time: the timer fires, and its task waits for a worker.
    await time_skipping.sleep(due - await time_skipping.get_current_time() + timedelta(seconds=1))
    for status in ("identified", "resolved"):
        await handle.signal(
            signals.CHANGE_STATUS, signals.ChangeStatusInput(status=status, by="UB")
        )
    async with Worker(
        client, task_queue=queue, workflows=[IncidentWorkflow], activities=fakes.all()
    ):
        await incident_when(handle, lambda i: i.status is IncidentStatus.RESOLVED)
        await eventually(lambda: len(fakes.events) == 2)
        await time_skipping.sleep(timedelta(hours=2))
        history = await handle.fetch_history()

    fired = [e.event_id for e in history.events if e.event_type == EventType.EVENT_TYPE_TIMER_FIRED]
    signalled = [
        e.event_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    ]
    assert fired and fired[0] < signalled[0]  # the reminder was due when the resolve came
    assert posted(fakes) == []
