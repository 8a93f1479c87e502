"""The messages an incident posts as it is run: status and severity changes, roles, updates,
notes, and what a refused change is told."""

from __future__ import annotations

from datetime import datetime

from fireline.models import IncidentSnapshot, IncidentStatus
from fireline.policy import Role, SeverityLevel
from fireline.render.incident import Blocks, role_label
from fireline.render.text import duration, escape, mrkdwn, plain, slack_date


def _said(line: str, text: str = "") -> Blocks:
    """A line Fireline composes (ids, names it knows), then what a person typed, as typed."""
    blocks: Blocks = [{"type": "section", "text": mrkdwn(line)}]
    if text.strip():
        blocks.append({"type": "section", "text": plain(text)})
    return blocks


def status_changed(
    incident: IncidentSnapshot, by: str, before: IncidentStatus, note: str
) -> Blocks:
    after = incident.status
    if after is IncidentStatus.RESOLVED:
        line = f":white_check_mark: <@{by}> resolved *{incident.reference}* (was {before.value})."
        return [*_said(line, note), _durations(incident)]
    if after is IncidentStatus.CLOSED:
        line = f":lock: <@{by}> closed *{incident.reference}* (was {before.value})."
    elif list(IncidentStatus).index(after) < list(IncidentStatus).index(before):
        line = f":leftwards_arrow_with_hook: <@{by}> reopened *{incident.reference}*: "
        line += f"{before.value} → *{after.value}*."
    else:
        line = f":arrow_right: <@{by}> moved *{incident.reference}* from {before.value} to "
        line += f"*{after.value}*."
    return _said(line, note)


def _durations(incident: IncidentSnapshot) -> dict[str, object]:
    """How long each stage took, from declaration: what a resolution is measured by."""
    marks: list[tuple[str, datetime | None]] = [
        ("identified", incident.identified_at),
        ("mitigated", incident.mitigated_at),
        ("resolved", incident.resolved_at),
    ]
    parts = [f"{label} after {duration(at - incident.declared_at)}" for label, at in marks if at]
    return {"type": "context", "elements": [mrkdwn("Declared, then " + ", ".join(parts) + ".")]}


def severity_changed(
    incident: IncidentSnapshot, by: str, before: SeverityLevel, promoted: bool
) -> Blocks:
    after = incident.severity
    emoji, verb = (
        (":arrow_double_up:", "promoted") if promoted else (":arrow_double_down:", "demoted")
    )
    line = (
        f"{emoji} <@{by}> {verb} *{incident.reference}* from {escape(before.name)} to "
        f"*{escape(after.name)}* ({escape(after.label)})."
    )
    return _said(line)


def role_assigned(incident: IncidentSnapshot, by: str, role: str, user: str) -> Blocks:
    line = f":busts_in_silhouette: <@{by}> made <@{user}> {role_label(role).lower()} of "
    line += f"*{incident.reference}*."
    return _said(line)


def role_dm(incident: IncidentSnapshot, by: str, role: Role) -> Blocks:
    channel = f"<#{incident.channel.id}>" if incident.channel else "its channel"
    line = (
        f"<@{by}> made you *{role_label(role.name).lower()}* of *{incident.reference}* "
        f"({escape(incident.severity.name)}). Join {channel}."
    )
    return _said(line, role.description)


def update_posted(incident: IncidentSnapshot, by: str, text: str) -> Blocks:
    line = f":mega: *Update on {incident.reference}* ({incident.status.value}) from <@{by}>:"
    return _said(line, text)


def note_added(incident: IncidentSnapshot, by: str, text: str) -> Blocks:
    return _said(f":memo: <@{by}> added a note to the timeline of *{incident.reference}*:", text)


def reminder_snoozed(incident: IncidentSnapshot, by: str, until: datetime) -> Blocks:
    line = f":zzz: <@{by}> snoozed the update reminder of *{incident.reference}* until "
    line += f"{slack_date(until)}."
    return _said(line)


def refused(incident: IncidentSnapshot, reason: str) -> str:
    """An ephemeral for the person whose change was refused (reason: composed by Fireline)."""
    return f":no_entry_sign: {incident.reference}: {reason}"
