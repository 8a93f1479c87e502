"""Every move of the status machine, allowed and refused, without Temporal."""

from __future__ import annotations

import itertools

import pytest

from fireline.models import IncidentStatus as S
from workflows.incident.lifecycle import MoveKind, MoveRefused, allowed_moves, move

ALLOWED = {
    (S.INVESTIGATING, S.IDENTIFIED): MoveKind.FORWARD,
    (S.INVESTIGATING, S.MITIGATED): MoveKind.FORWARD,
    (S.INVESTIGATING, S.RESOLVED): MoveKind.FORWARD,
    (S.INVESTIGATING, S.CLOSED): MoveKind.FORWARD,
    (S.IDENTIFIED, S.MITIGATED): MoveKind.FORWARD,
    (S.IDENTIFIED, S.RESOLVED): MoveKind.FORWARD,
    (S.IDENTIFIED, S.CLOSED): MoveKind.FORWARD,
    (S.MITIGATED, S.RESOLVED): MoveKind.FORWARD,
    (S.MITIGATED, S.CLOSED): MoveKind.FORWARD,
    (S.MITIGATED, S.INVESTIGATING): MoveKind.REOPEN,
    (S.MITIGATED, S.IDENTIFIED): MoveKind.REOPEN,
    (S.RESOLVED, S.CLOSED): MoveKind.FORWARD,
    (S.RESOLVED, S.INVESTIGATING): MoveKind.REOPEN,
    (S.RESOLVED, S.IDENTIFIED): MoveKind.REOPEN,
}


@pytest.mark.parametrize(("before", "after"), list(itertools.product(S, S)))
def test_every_pair_of_statuses(before: S, after: S) -> None:
    kind = ALLOWED.get((before, after))
    if kind is not None:
        made = move(before, after)
        assert (made.before, made.after, made.kind) == (before, after, kind)
        assert after in allowed_moves(before)
        return
    with pytest.raises(MoveRefused) as refused:
        move(before, after)
    assert after not in allowed_moves(before)
    # The refusal names every move that is allowed instead.
    message = str(refused.value)
    for allowed in allowed_moves(before):
        assert allowed.value in message


def test_refusals_say_why() -> None:
    with pytest.raises(MoveRefused, match="already investigating"):
        move(S.INVESTIGATING, S.INVESTIGATING)
    with pytest.raises(MoveRefused, match=r"closed incident cannot change.*nothing"):
        move(S.CLOSED, S.INVESTIGATING)
    with pytest.raises(MoveRefused, match="from resolved to mitigated"):
        move(S.RESOLVED, S.MITIGATED)


def test_resolving_and_closing_are_named() -> None:
    assert move(S.INVESTIGATING, S.RESOLVED).resolves
    assert move(S.RESOLVED, S.CLOSED).closes
    assert not move(S.INVESTIGATING, S.MITIGATED).resolves
