"""A controllable clock for the fake (trigger-id expiry, message timestamps)."""

from __future__ import annotations


class ManualClock:
    """Callable returning epoch seconds; only moves when told to.

    >>> clock = ManualClock(1_700_000_000.0)
    >>> fake = FakeSlack(clock=clock)
    >>> clock.advance(3.5)  # trigger ids issued before now are expired
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = float(start)

    def __call__(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        self._now += seconds
        return self._now

    def set(self, now: float) -> None:
        self._now = float(now)
