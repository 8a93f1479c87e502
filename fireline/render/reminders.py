"""What an incident's reminders and nudges say, and the buttons that act on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fireline.models import IncidentSnapshot
from fireline.render.incident import ACTION_POST_UPDATE, ACTION_TAKE_ROLE, Blocks, role_label
from fireline.render.text import duration, mrkdwn, plain, slack_date


def _button(action_id: str, label: str, incident: IncidentSnapshot) -> dict[str, Any]:
    # The value names the incident, as on the summary's buttons (bot.incident_context).
    return {
        "type": "button",
        "action_id": action_id,
        "text": plain(label, 75),
        "value": incident.incident_id,
    }


def _line(line: str, buttons: list[dict[str, Any]] | None = None) -> Blocks:
    blocks: Blocks = [{"type": "section", "text": mrkdwn(line)}]
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return blocks


def update_due(incident: IncidentSnapshot) -> Blocks:
    """To the commander, and the comms lead when there is one: time for a status update."""
    people = dict.fromkeys([incident.commander_id, incident.roles.get("comms")])
    mentions = " ".join(f"<@{user}>" for user in people if user)
    update = incident.last_update
    last = (
        f"the last one was {slack_date(update.at)}"
        if update
        else f"there has been none since it was declared {slack_date(incident.declared_at)}"
    )
    line = (
        f":alarm_clock: {mentions}: time for a status update on *{incident.reference}* "
        f"({incident.status.value}); {last}."
    )
    return _line(line, [_button(ACTION_POST_UPDATE, "Post an update", incident)])


def role_unclaimed(incident: IncidentSnapshot, roles: list[str]) -> Blocks:
    """In the channel: roles nobody has taken, with a button to take each."""
    names = " and ".join(f"no {role_label(role).lower()}" for role in roles)
    line = f":raising_hand: *{incident.reference}* has {names} yet. Can you take it?"
    buttons = [
        _button(f"{ACTION_TAKE_ROLE}:{role}", f"Take {role_label(role).lower()}", incident)
        for role in roles
    ]
    return _line(line, buttons)


def stale(incident: IncidentSnapshot, now: datetime) -> Blocks:
    """In the channel and to the commander: open for days and not resolved."""
    where = f" in <#{incident.channel.id}>" if incident.channel else ""
    line = (
        f":hourglass: <@{incident.commander_id}>: *{incident.reference}* has been open for "
        f"{duration(now - incident.declared_at)} and is still {incident.status.value}. Resolve "
        f"it{where}, or post an update that says why it is still open."
    )
    return _line(line, [_button(ACTION_POST_UPDATE, "Post an update", incident)])


def postmortem_due(incident: IncidentSnapshot) -> Blocks:
    """To the commander: resolved a while ago and still not closed."""
    resolved = slack_date(incident.resolved_at) if incident.resolved_at else "a while ago"
    where = f"`/incident status closed` in <#{incident.channel.id}>" if incident.channel else ""
    line = (
        f":memo: *{incident.reference}* was resolved {resolved} and its postmortem is due. "
        f"Close the incident once the postmortem is done{': ' + where if where else ''}."
    )
    return _line(line)
