"""What the status channel says: the incident for people who are not responding to it, in plain
language (no mentions, no notes from the response), one message per change."""

from __future__ import annotations

from fireline.models import IncidentSnapshot, IncidentStatus
from fireline.render.incident import Blocks, headline
from fireline.render.text import duration, escape, mrkdwn, plain

_MEANING = {
    IncidentStatus.INVESTIGATING: "The team is investigating what is wrong.",
    IncidentStatus.IDENTIFIED: "The cause has been found and the team is working on a fix.",
    IncidentStatus.MITIGATED: "The impact has been contained; the team is finishing the fix.",
    IncidentStatus.RESOLVED: "It is resolved: things work as they should again.",
    IncidentStatus.CLOSED: "The incident is closed; the follow-up work is tracked elsewhere.",
}


def introduction(incident: IncidentSnapshot) -> Blocks:
    assert incident.channel is not None
    return [
        {"type": "header", "text": plain(headline(incident), 150)},
        {
            "type": "section",
            "text": mrkdwn(
                f"Updates on *{incident.reference}* ({escape(incident.severity.name)}, "
                f"{escape(incident.severity.label)}) for everyone affected, in plain language. "
                f"The responders work in <#{incident.channel.id}>. " + _MEANING[incident.status]
            ),
        },
    ]


def status_changed(incident: IncidentSnapshot) -> Blocks:
    line = f"*{incident.reference} is now {incident.status.value}.* {_MEANING[incident.status]}"
    if incident.status is IncidentStatus.RESOLVED and incident.resolved_at:
        line += f" It lasted {duration(incident.resolved_at - incident.declared_at)}."
    return [{"type": "section", "text": mrkdwn(line)}]


def update_posted(incident: IncidentSnapshot, text: str) -> Blocks:
    return [
        {
            "type": "section",
            "text": mrkdwn(f"*Update on {incident.reference}* ({incident.status.value}):"),
        },
        {"type": "section", "text": plain(text)},
    ]


def opened_note(incident: IncidentSnapshot) -> Blocks:
    """Said in the incident channel: where stakeholders read along."""
    assert incident.status_channel is not None
    return [
        {
            "type": "section",
            "text": mrkdwn(
                f":loudspeaker: Stakeholders follow *{incident.reference}* in "
                f"<#{incident.status_channel.id}>: every update (`/incident update`), status "
                "change and the resolution is posted there."
            ),
        }
    ]
