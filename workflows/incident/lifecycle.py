"""The incident's statuses and the moves between them, as data (docs/lifecycle.md).

investigating -> identified -> mitigated -> resolved -> closed. Any forward move is allowed,
skipping included; a mitigated or resolved incident can be reopened to investigating or
identified; closed is final. Pure: the bot checks a change here to answer at once, and the
workflow checks again and is the judge.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fireline.models import IncidentStatus

ORDER = (
    IncidentStatus.INVESTIGATING,
    IncidentStatus.IDENTIFIED,
    IncidentStatus.MITIGATED,
    IncidentStatus.RESOLVED,
    IncidentStatus.CLOSED,
)
REOPENABLE = frozenset({IncidentStatus.MITIGATED, IncidentStatus.RESOLVED})
REOPENED_TO = (IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED)
# Statuses in which the incident is over for its responders (reminders stop, paging resolves).
DONE = frozenset({IncidentStatus.RESOLVED, IncidentStatus.CLOSED})


class MoveKind(StrEnum):
    FORWARD = "forward"
    REOPEN = "reopen"


@dataclass(frozen=True)
class Move:
    before: IncidentStatus
    after: IncidentStatus
    kind: MoveKind

    @property
    def resolves(self) -> bool:
        return self.after is IncidentStatus.RESOLVED

    @property
    def closes(self) -> bool:
        return self.after is IncidentStatus.CLOSED


class MoveRefused(ValueError):
    """A move the machine does not allow; the message names the allowed ones."""


def allowed_moves(current: IncidentStatus) -> list[IncidentStatus]:
    """Where the incident may go from `current`, in the order of the machine."""
    forward = list(ORDER[ORDER.index(current) + 1 :])
    reopen = [status for status in REOPENED_TO if status != current]
    return [*reopen, *forward] if current in REOPENABLE else forward


def move(current: IncidentStatus, target: IncidentStatus) -> Move:
    """The move from `current` to `target`, or MoveRefused saying what is allowed instead."""
    if target in allowed_moves(current):
        forward = ORDER.index(target) > ORDER.index(current)
        return Move(current, target, MoveKind.FORWARD if forward else MoveKind.REOPEN)
    if target == current:
        reason = f"The incident is already {current.value}."
    elif current is IncidentStatus.CLOSED:
        reason = "The incident is closed; a closed incident cannot change."
    else:
        reason = f"An incident cannot go from {current.value} to {target.value}."
    choices = ", ".join(status.value for status in allowed_moves(current))
    raise MoveRefused(f"{reason} Allowed from {current.value}: {choices or 'nothing'}.")
