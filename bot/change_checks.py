"""The bot's own check of a change, so the person hears at once what is wrong and what is allowed.

The workflow checks every change again and is the judge: these only spare people a round trip.
Each raises Refused with the valid choices; what people typed is escaped before it is quoted back.
"""

from __future__ import annotations

from bot.refusal import Refused
from fireline.models import IncidentSnapshot, IncidentStatus
from fireline.policy import SeverityPolicy
from fireline.render.text import escape
from workflows.incident.lifecycle import MoveRefused, allowed_moves, move


def status_target(incident: IncidentSnapshot, typed: str) -> IncidentStatus:
    """The status `typed` names (any case), if the incident may move there."""
    current = incident.status
    choices = ", ".join(status.value for status in allowed_moves(current)) or "nothing"
    try:
        target = IncidentStatus(typed.strip().lower())
    except ValueError:
        what = f"Unknown status `{escape(typed)}`." if typed.strip() else "Which status?"
        raise Refused(
            f"{what} {incident.reference} is {current.value}; it can move to: {choices}."
        ) from None
    try:
        move(current, target)
    except MoveRefused as err:
        raise Refused(f"{incident.reference}: {err}") from None
    return target


def severity_level(incident: IncidentSnapshot, policy: SeverityPolicy, typed: str) -> str:
    """The policy's name of the level `typed` names (any case), unless the incident has it."""
    names = [level.name for level in policy.levels]
    level = next((name for name in names if name.lower() == typed.strip().lower()), None)
    if level is None:
        what = f"Unknown severity `{escape(typed)}`." if typed.strip() else "Which severity?"
        raise Refused(f"{what} Levels: {', '.join(names)}.")
    if level == incident.severity.name:
        raise Refused(f"{incident.reference} is already {level}.")
    return level


def role_name(policy: SeverityPolicy, typed: str) -> str:
    """The policy's role `typed` names (any case)."""
    role = policy.role(typed.strip().lower())
    if role is None:
        what = f"Unknown role `{escape(typed)}`." if typed.strip() else "Which role?"
        raise Refused(f"{what} Roles: {', '.join(role.name for role in policy.roles)}.")
    return role.name
