"""What the incident workflow keeps about its postmortem doc and Jira issue (tracking.py).

The doc and issue themselves are in the incident's links; this says whether tracking runs at all
(incidents started before it, or without any integration, never do), what was started, and holds
the tasks that run in the background so the incident never waits on Notion, Confluence or Jira.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from pydantic import BaseModel, Field, PrivateAttr
from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from fireline.models import TimelineEvent, TrackingPlan


class TrackingState(BaseModel):
    plan: TrackingPlan = Field(default_factory=TrackingPlan)
    # Set once at declaration, behind patches.POSTMORTEM_AND_TICKET.
    on: bool = False
    doc_started: bool = False
    issue_started: bool = False
    # Refusals already said in the channel ("doc", "issue"): each is said once.
    told: list[str] = Field(default_factory=list)
    # Every timeline event since tracking began: the postmortem's Timeline is written from them
    # (the record holds them too, but the incident goes on while the database is down).
    timeline: list[TimelineEvent] = Field(default_factory=list)
    # People's names as Slack gave them to the last timeline fill (user id -> name).
    names: dict[str, str] = Field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = PrivateAttr(default_factory=list)
    # Updates to the doc and to the issue each run one after the other, in the order of changes.
    _chains: dict[str, asyncio.Task[None]] = PrivateAttr(default_factory=dict)

    def keep(self, event: TimelineEvent) -> None:
        if self.on:
            self.timeline.append(event)

    # Work is passed as a function making the coroutine, so work cancelled before it starts (the
    # incident closed first) leaves no coroutine never awaited.
    def spawn(self, work: Callable[[], Awaitable[None]]) -> None:
        async def run() -> None:
            try:
                await work()
            except ActivityError as err:  # given up for good: said in the log, nothing waits on it
                workflow.logger.warning("postmortem or ticket step failed: %s", err.cause or err)

        self._tasks.append(asyncio.create_task(run()))

    def then(self, chain: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` after what was queued on `chain` before it, whether that ended well or not."""
        before = self._chains.get(chain)

        async def in_turn() -> None:
            if before is not None:
                with contextlib.suppress(Exception):
                    await before
            await work()

        task = asyncio.create_task(in_turn())
        self._chains[chain] = task
        self._tasks.append(task)

    def idle(self) -> bool:
        """No doc or issue work in flight or waiting on its timer."""
        return all(task.done() for task in self._tasks)

    async def drain(self, ready: dict[str, bool]) -> None:
        """Let each chain whose doc or issue exists finish (a timeline being written on close);
        a chain still waiting for one that was never made is cancelled."""
        for chain, task in self._chains.items():
            if not ready.get(chain, True) and not task.done():
                task.cancel()
        await asyncio.gather(*self._chains.values(), return_exceptions=True)

    async def stop(self) -> None:
        """Cancel what is still waiting (a refused create on its timer, an update for an issue
        never made); the incident is closing."""
        for task in self._tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
