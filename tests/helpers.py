"""Polling instead of sleeping: wait for a condition with a deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], T | Awaitable[T]], *, timeout: float = 15.0, interval: float = 0.05
) -> T:
    """Call `probe` until it returns something truthy without raising AssertionError; return it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = probe()
            if asyncio.iscoroutine(result) or isinstance(result, Awaitable):
                result = await result
            if result:
                return result  # type: ignore[return-value]
            failure: AssertionError | None = None
        except AssertionError as err:
            failure = err
        if time.monotonic() > deadline:
            raise failure or AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)
