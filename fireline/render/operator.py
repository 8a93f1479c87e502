"""What operators read about an incident in the Temporal UI's list and detail views.

These are not encrypted (search attributes, summaries and details never are), so a private
incident shows its number, severity and status, never its title.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fireline.models import IncidentSnapshot, ReminderKind

PRIVATE = "private incident"
REMINDERS = {
    ReminderKind.UPDATE: "update reminder",
    ReminderKind.UNCLAIMED_ROLE: "unclaimed-role nudge",
    ReminderKind.STALE: "stale-incident nudge",
    ReminderKind.POSTMORTEM: "postmortem reminder",
}


def workflow_summary(number: int, severity: str, title: str, private: bool) -> str:
    """The workflow's static summary: `INC-12 · SEV2: title`."""
    return f"INC-{number} · {severity}: {PRIVATE if private else title}"


def current_details(incident: IncidentSnapshot) -> str:
    """The workflow's current details (markdown): headline, status and anything given up on."""
    lines = [
        "**"
        + workflow_summary(
            incident.number,
            incident.severity.name,
            incident.declaration.title,
            incident.declaration.private,
        )
        + "**",
        "",
        f"Status: {incident.status.value}",
    ]
    if incident.channel is not None and not incident.declaration.private:
        lines.append(f"Channel: #{incident.channel.name}")
    if incident.reminders:
        lines += ["", "Reminders:"]
        lines += [f"- {reminder_due(kind, at)}" for kind, at in incident.reminders.items()]
    if incident.problems:
        # Problems are composed from Slack ids and error codes, never from what people typed.
        lines += ["", "Could not be done:", *(f"- {problem}" for problem in incident.problems)]
    return "\n".join(lines)


def reminder_due(kind: ReminderKind, at: datetime) -> str:
    """`update reminder due 2025-01-31 14:32 UTC`: a line of the details, a timer's summary."""
    return f"{REMINDERS[kind]} due {at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
