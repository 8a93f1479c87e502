"""Declarations acknowledged in Slack that Temporal has not accepted yet.

Each submission is written to the outbox before the modal is acknowledged, then started in the
background. The bot drains the outbox when it starts and every `DRAIN_INTERVAL` after: an entry
left by a bot that stopped (deploy, crash) is started by the next one. On shutdown the bot stops
retrying and releases its entries, so the next bot takes them over at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime

from slack_sdk.web.async_client import AsyncWebClient
from temporalio.client import Client

from bot.declare import Declarer
from bot.outbox import open_outbox
from bot.outbox.base import Lease, Outbox, OutboxUnavailable, PendingDeclaration
from fireline.models import Declaration
from fireline.policy import SeverityPolicy
from fireline.settings import Settings

log = logging.getLogger(__name__)

# Well within Slack's 3 s: past this the ack goes out and the declaration is retried in memory.
ADD_TIMEOUT_SECONDS = 1.5
DRAIN_INTERVAL_SECONDS = 10.0
RELEASE_TIMEOUT_SECONDS = 2.0
# How long a stopping bot waits for its background tasks to end once cancelled. psycopg's pool
# can swallow a cancellation that lands while it hands out a connection; the bot still stops.
STOP_TIMEOUT_SECONDS = 3.0


class _Unstored:
    """The lease of a declaration the outbox could not take: this bot is its only holder."""

    async def renew(self, workflow_id: str) -> bool:
        return True

    async def take_delay_notice(self, workflow_id: str) -> bool:
        return True

    async def remove(self, workflow_id: str) -> bool:
        return True


class PendingDeclarations:
    def __init__(self, outbox: Outbox, declarer: Declarer) -> None:
        self._outbox = outbox
        self._declarer = declarer
        self._declaring: dict[str, asyncio.Task[None]] = {}
        self._stopping = asyncio.Event()

    async def submit(self, declaration: Declaration, workflow_id: str) -> None:
        """Keep the declaration durably, then start it in the background; returns once it is
        kept (a few milliseconds), or after ADD_TIMEOUT_SECONDS if the outbox cannot take it."""
        entry = PendingDeclaration(
            workflow_id=workflow_id, declaration=declaration, declared_at=datetime.now(UTC)
        )
        lease: Lease = self._outbox
        try:
            async with asyncio.timeout(ADD_TIMEOUT_SECONDS):
                if not await self._outbox.add(entry):
                    return  # a redelivery: the bot holding the entry is on it
        except (OutboxUnavailable, TimeoutError) as err:
            why = str(err) or f"no answer within {ADD_TIMEOUT_SECONDS} s"
            log.warning(
                "declaration outbox unavailable, %s retried in memory: %s", workflow_id, why
            )
            lease = _Unstored()
        self._declare(entry, lease)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Drain the outbox in the background while the bot runs."""
        draining = asyncio.create_task(self._drain())
        try:
            yield
        finally:
            self._stopping.set()
            tasks = [draining, *self._declaring.values()]
            for task in tasks:
                task.cancel()
            _, stuck = await asyncio.wait(tasks, timeout=STOP_TIMEOUT_SECONDS)
            if stuck:
                log.warning("%d declaration tasks did not stop; leaving them", len(stuck))
            try:
                async with asyncio.timeout(RELEASE_TIMEOUT_SECONDS):
                    await self._outbox.release()
            except (OutboxUnavailable, TimeoutError) as err:
                log.warning("declarations not released, taken over when their lease ends: %s", err)

    async def _drain(self) -> None:
        # The stop event ends the loop even when a cancellation was swallowed on the way.
        while not self._stopping.is_set():
            try:
                for entry in await self._outbox.claim():
                    self._declare(entry, self._outbox)
            except OutboxUnavailable as err:
                log.warning("cannot drain the declaration outbox, will retry: %s", err)
            with suppress(TimeoutError):
                async with asyncio.timeout(DRAIN_INTERVAL_SECONDS):
                    await self._stopping.wait()

    def _declare(self, entry: PendingDeclaration, lease: Lease) -> None:
        if entry.workflow_id in self._declaring:
            return  # a claim of an entry this bot is still trying (its lease ran out meanwhile)
        task = asyncio.create_task(self._declarer.declare(entry, lease))
        self._declaring[entry.workflow_id] = task
        task.add_done_callback(lambda _: self._done(entry.workflow_id, task))

    def _done(self, workflow_id: str, task: asyncio.Task[None]) -> None:
        del self._declaring[workflow_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("declaring %s failed", workflow_id, exc_info=task.exception())


@asynccontextmanager
async def pending_declarations(
    settings: Settings, temporal: Client, policy: SeverityPolicy, slack: AsyncWebClient
) -> AsyncIterator[PendingDeclarations]:
    """The bot's pending declarations over its outbox, drained while the context is open."""
    async with open_outbox(settings) as outbox:
        pending = PendingDeclarations(outbox, Declarer(temporal, settings, policy, slack))
        async with pending.running():
            yield pending
