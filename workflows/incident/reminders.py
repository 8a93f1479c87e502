"""When an incident reminds and nudges, computed from its state: which reminders it wants now,
and when each is due (kept in the snapshot, so they survive a restart and continue-as-new).

Pure: the workflow passes the time in. Each kind has a cadence (first, then every) while the
incident wants it; `sync` after every change arms the wanted ones and drops the others, `restart`
starts a kind's clock again, `take_due` says what is due and moves each to its next time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fireline.models import IncidentSnapshot, IncidentStatus, ReminderKind
from fireline.policy import SeverityPolicy
from workflows.incident.lifecycle import DONE


@dataclass(frozen=True)
class Cadence:
    first: timedelta
    every: timedelta


def unclaimed_roles(incident: IncidentSnapshot) -> list[str]:
    """The commander, and the roles the incident's level requires, that nobody has."""
    required = ["commander", *incident.severity.required_roles]
    return [role for role in required if not incident.roles.get(role)]


def cadence(
    kind: ReminderKind, incident: IncidentSnapshot, policy: SeverityPolicy | None
) -> Cadence | None:
    """The kind's cadence while the incident wants it; None when it does not."""
    level = incident.severity
    if kind is ReminderKind.UPDATE:
        first, every = level.reminder_first_minutes, level.reminder_every_minutes
        if incident.status in DONE or first is None:
            return None
        return Cadence(timedelta(minutes=first), timedelta(minutes=every or first))
    # Nudges are the policy's; incidents declared before it was carried have none.
    if policy is None:
        return None
    if kind is ReminderKind.UNCLAIMED_ROLE:
        if incident.status in DONE or not unclaimed_roles(incident):
            return None
        minutes = timedelta(minutes=policy.unclaimed_role_minutes)
        return Cadence(minutes, minutes)
    if kind is ReminderKind.STALE:
        if incident.status in DONE:
            return None
        return Cadence(
            timedelta(days=policy.stale_after_days), timedelta(days=policy.stale_every_days)
        )
    if incident.status is not IncidentStatus.RESOLVED or not level.postmortem:
        return None
    return Cadence(
        timedelta(days=policy.postmortem_due_days), timedelta(days=policy.postmortem_every_days)
    )


def sync(incident: IncidentSnapshot, policy: SeverityPolicy | None, now: datetime) -> None:
    """Arm, from `now`, each reminder the incident wants and has not armed; drop the others."""
    pending = dict(incident.reminders)
    for kind in ReminderKind:
        wanted = cadence(kind, incident, policy)
        if wanted is None:
            pending.pop(kind, None)
        elif kind not in pending:
            pending[kind] = now + wanted.first
    incident.reminders = dict(sorted(pending.items(), key=lambda item: item[1]))


def restart(
    incident: IncidentSnapshot, policy: SeverityPolicy | None, kind: ReminderKind, now: datetime
) -> None:
    """The kind's clock starts again from `now` (an update was posted, the level changed)."""
    incident.reminders = {k: at for k, at in incident.reminders.items() if k is not kind}
    sync(incident, policy, now)


def postpone(incident: IncidentSnapshot, kind: ReminderKind, until: datetime) -> None:
    incident.reminders = dict(
        sorted({**incident.reminders, kind: until}.items(), key=lambda item: item[1])
    )


def take_due(
    incident: IncidentSnapshot, policy: SeverityPolicy | None, now: datetime
) -> list[ReminderKind]:
    """The reminders due at `now`, each moved to its next time after `now`: one that fell due
    several times while nobody could post it (a worker outage) is posted once, not once a period."""
    due = [kind for kind, at in incident.reminders.items() if at <= now]
    pending = dict(incident.reminders)
    for kind in due:
        wanted = cadence(kind, incident, policy)
        if wanted is None:
            pending.pop(kind)
            continue
        periods = (now - pending[kind]) // wanted.every + 1
        pending[kind] += wanted.every * periods
    incident.reminders = dict(sorted(pending.items(), key=lambda item: item[1]))
    return due


def earliest(incident: IncidentSnapshot) -> tuple[ReminderKind, datetime] | None:
    return min(incident.reminders.items(), key=lambda item: item[1], default=None)
