"""Every activity attempt ends before Temporal gives up on it.

When an attempt outlives its start-to-close timeout, Temporal schedules the next attempt, but the
Python worker does not cancel the old one: it would go on and post, pin or bookmark after the retry
already did (a slow Slack answer made two pinned summaries). This interceptor cancels each attempt
a little before its deadline, so an abandoned attempt can never act afterwards; each outside call
also has its own, shorter timeout (see worker.py).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

# Time left for Temporal to record the attempt's end before its own timer fires.
MARGIN = timedelta(seconds=1)


def attempt_budget(info: activity.Info, now: datetime) -> timedelta | None:
    """How long this attempt may still run; None when no timeout bounds it."""
    limits = []
    if info.start_to_close_timeout:
        limits.append(info.start_to_close_timeout)
    if info.schedule_to_close_timeout:
        limits.append(info.scheduled_time + info.schedule_to_close_timeout - now)
    if not limits:
        return None
    return max(min(limits) - MARGIN, timedelta(0))


class AttemptDeadlineInterceptor(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Inbound(next)


class _Inbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        # A local activity's timeouts are enforced by the worker itself, attempt by attempt.
        budget = None if info.is_local else attempt_budget(info, datetime.now(UTC))
        if budget is None:
            return await super().execute_activity(input)
        deadline = asyncio.timeout(budget.total_seconds())
        try:
            async with deadline:
                return await super().execute_activity(input)
        except TimeoutError as err:
            if not deadline.expired():
                raise  # an outside call's own timeout: an ordinary, retryable failure
            raise ApplicationError(
                f"attempt stopped after {budget.total_seconds():.1f}s, before its timeout",
                type="AttemptDeadline",
            ) from err
