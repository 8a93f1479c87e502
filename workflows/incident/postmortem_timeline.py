"""The postmortem's Timeline section and the header's durations, from the incident's timeline and
the channel's transcript: pure functions, so a refresh of the same incident says the same lines."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.tracking_types import Transcript
    from fireline.models import IncidentSnapshot, TimelineEvent
    from fireline.render.text import duration


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def event_text(event: TimelineEvent, names: Mapping[str, str]) -> str | None:
    """What one timeline event says; None for what a postmortem has no use for (a snooze)."""
    kind = event.kind
    if kind == "status_changed":
        said = f"Status {event.old} -> {event.new}"
        return f"{said}: {event.text}" if event.text else said
    if kind == "severity_changed":
        return f"Severity {event.old} -> {event.new}"
    if kind == "role_assigned":
        holder = names.get(event.new or "", event.new or "nobody")
        return f"{event.text or 'A role'}: {holder}"
    if kind == "update_posted":
        return f"Update ({event.new}): {event.text}"
    if kind == "note_added":
        return f"Note: {event.text}"
    if kind == "followup_added":
        return f"Follow-up: {event.text}"
    return None


def timeline_lines(
    incident: IncidentSnapshot, events: list[TimelineEvent], transcript: Transcript
) -> list[str]:
    """One line per event and per message, in time order (a thread's replies under their
    message), each with when and who."""
    names = transcript.names
    declared = f"{_when(incident.declared_at)} · "
    declared += (
        f"{names.get(incident.declaration.reporter_id, incident.declaration.reporter_id)} · "
    )
    declared += f"Declared {incident.reference} ({incident.severity.name}): "
    declared += incident.declaration.title
    rows: list[tuple[datetime, int, str]] = [(incident.declared_at, 0, declared)]
    for event in events:
        text = event_text(event, names)
        if text is not None:
            who = names.get(event.actor_id, event.actor_id)
            rows.append((event.at, 1, f"{_when(event.at)} · {who} · {text}"))
    thread_at = incident.declared_at
    for message in transcript.messages:
        # A reply sorts with the message it answers, not at its own time.
        at = thread_at if message.reply else message.at
        thread_at = at
        prefix = "    ↳ " if message.reply else ""
        rows.append((at, 2, f"{prefix}{_when(message.at)} · {message.author} · {message.text}"))
    ordered = sorted(enumerate(rows), key=lambda item: (item[1][0], item[1][1], item[0]))
    lines = [row[2] for _, row in ordered]
    if transcript.left_out:
        lines.append(f"({transcript.left_out} later messages are not listed: see the channel.)")
    return lines


def durations(incident: IncidentSnapshot) -> dict[str, str]:
    """Time from declaration to each status reached, as the header shows it."""
    reached = {
        "identify": incident.identified_at,
        "mitigate": incident.mitigated_at,
        "resolve": incident.resolved_at,
    }
    return {name: duration(at - incident.declared_at) for name, at in reached.items() if at}
