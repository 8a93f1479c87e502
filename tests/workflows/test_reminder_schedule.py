"""The reminder schedule (workflows/incident/reminders.py) without Temporal: what is due after a
change or an outage, and when the next one comes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fireline.models import IncidentSnapshot, IncidentStatus, ReminderKind
from fireline.policy import SeverityPolicy, load_policy
from tests.workflows.test_incident_workflow import declare_input
from workflows.incident import reminders

START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def declared() -> tuple[IncidentSnapshot, SeverityPolicy]:
    input = declare_input()
    incident = IncidentSnapshot(
        incident_id=input.incident_id,
        number=42,
        declaration=input.declaration,
        severity=input.severity,
        declared_at=START,
        workflow_url="http://temporal",
        roles={"commander": "UCMD"},
    )
    policy = load_policy()
    reminders.sync(incident, policy, START)
    return incident, policy


def minutes(n: int) -> datetime:
    return START + timedelta(minutes=n)


def test_an_open_sev2_wants_an_update_in_30_minutes_and_a_nudge_in_7_days() -> None:
    incident, _ = declared()
    assert incident.reminders == {
        ReminderKind.UPDATE: minutes(30),
        ReminderKind.STALE: START + timedelta(days=7),
    }


def test_a_reminder_missed_for_several_periods_is_due_once_then_keeps_its_cadence() -> None:
    incident, policy = declared()
    # The worker was down from before 30 until 81: due at 30, 55 and 80.
    assert reminders.take_due(incident, policy, minutes(81)) == [ReminderKind.UPDATE]
    assert incident.reminders[ReminderKind.UPDATE] == minutes(105)
    assert reminders.take_due(incident, policy, minutes(82)) == []


def test_a_reminder_due_when_the_incident_resolved_is_dropped() -> None:
    incident, policy = declared()
    incident.status = IncidentStatus.RESOLVED  # applied before the reminder was judged
    reminders.sync(incident, policy, minutes(31))
    assert reminders.take_due(incident, policy, minutes(31)) == []
    assert ReminderKind.UPDATE not in incident.reminders


def test_a_reminder_due_when_an_update_came_is_dropped() -> None:
    incident, policy = declared()
    reminders.restart(incident, policy, ReminderKind.UPDATE, minutes(31))
    assert reminders.take_due(incident, policy, minutes(31)) == []
    assert incident.reminders[ReminderKind.UPDATE] == minutes(61)


def test_a_demotion_to_a_level_without_reminders_drops_a_due_one() -> None:
    incident, policy = declared()
    sev3 = policy.level("SEV3")
    assert sev3 is not None
    incident.severity = sev3
    reminders.restart(incident, policy, ReminderKind.UPDATE, minutes(31))
    assert reminders.take_due(incident, policy, minutes(31)) == []


def test_a_required_role_nobody_has_is_nudged_and_taking_it_stops_the_nudge() -> None:
    incident, policy = declared()
    sev1 = policy.level("SEV1")
    assert sev1 is not None
    incident.severity = sev1
    reminders.sync(incident, policy, minutes(5))
    assert reminders.unclaimed_roles(incident) == ["comms"]
    assert incident.reminders[ReminderKind.UNCLAIMED_ROLE] == minutes(15)
    incident.roles["comms"] = "UCOMMS"
    reminders.sync(incident, policy, minutes(6))
    assert ReminderKind.UNCLAIMED_ROLE not in incident.reminders
