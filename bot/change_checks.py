"""The bot's own check of a change, so the person hears at once what is wrong and what is allowed.

The workflow checks every change again and is the judge: these only spare people a round trip.
Each raises Refused with the valid choices; what people typed is escaped before it is quoted back.
A change to what the incident already is passes: it may be a redelivery of the very request that
made it so, which only the workflow can tell (it knows the request ids it applied) and ignores.
"""

from __future__ import annotations

from bot.refusal import Refused
from fireline.models import IncidentSnapshot, IncidentStatus
from fireline.policy import SeverityPolicy
from fireline.render.text import escape
from workflows.incident.lifecycle import MoveRefused, allowed_moves, move


def status_target(incident: IncidentSnapshot, typed: str) -> IncidentStatus:
    """The status `typed` names (any case), if the incident may move there or is there."""
    current = incident.status
    choices = ", ".join(status.value for status in allowed_moves(current)) or "nothing"
    try:
        target = IncidentStatus(typed.strip().lower())
    except ValueError:
        what = f"Unknown status `{escape(typed)}`." if typed.strip() else "Which status?"
        raise Refused(
            f"{what} {incident.reference} is {current.value}; it can move to: {choices}."
        ) from None
    if target is not current:
        try:
            move(current, target)
        except MoveRefused as err:
            raise Refused(f"{incident.reference}: {err}") from None
    return target


def severity_level(policy: SeverityPolicy, typed: str) -> str:
    """The policy's name of the level `typed` names (any case)."""
    names = [level.name for level in policy.levels]
    level = next((name for name in names if name.lower() == typed.strip().lower()), None)
    if level is None:
        what = f"Unknown severity `{escape(typed)}`." if typed.strip() else "Which severity?"
        raise Refused(f"{what} Levels: {', '.join(names)}.")
    return level


def role_name(policy: SeverityPolicy, typed: str) -> str:
    """The policy's role `typed` names (any case)."""
    role = policy.role(typed.strip().lower())
    if role is None:
        what = f"Unknown role `{escape(typed)}`." if typed.strip() else "Which role?"
        raise Refused(f"{what} Roles: {', '.join(role.name for role in policy.roles)}.")
    return role.name
