"""`/incident snooze <duration>`: a duration it cannot use is explained at once, nothing sent."""

from __future__ import annotations

from typing import Any

import pytest

from bot.refusal import Refused
from bot.subcommands import CommandRequest, snooze


async def _never(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("a refused snooze acknowledges and sends nothing")


@pytest.mark.parametrize("typed", ["", "soon", "0m", "25h"])
async def test_a_bad_snooze_is_explained(typed: str) -> None:
    request = CommandRequest(
        _never,
        _never,
        None,
        {"user_id": "UB"},
        typed,
        None,
        None,  # type: ignore[arg-type]
    )
    with pytest.raises(Refused, match="from a minute to 24 hours"):
        await snooze(request)
