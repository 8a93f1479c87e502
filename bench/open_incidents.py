"""Many open incidents on one worker, each with a reminder pending: are the reminders on time?

Runs the real stack on this machine (bench/stack.py): the dev server, PostgreSQL, one
`fireline worker`, the Slack fake in this process. Starts `--incidents` incidents, `--concurrency`
at a time, as the bot starts them (bot/declare.py; the numbers are the bench's, not the counter's),
at a level whose first update reminder comes after an hour: every incident has a reminder pending.
Then each one's reminder is snoozed to `--lead` minutes from its snooze, the snoozes sent evenly
over `--spread` minutes: the reminders fall due spread evenly over those minutes, after the last
snooze when the lead is at least the spread. Prints:

- how long starting N took: the first start until every incident's channel is ready (summary
  pinned, people invited, as seen on the fake);
- reminder lag: each reminder's due time (its snooze's timeline event in the record) until the
  fake receives its chat.postMessage: p50, p99, max;
- peak RSS of the worker and the bot (sampled twice a second), and the CPU each process (the dev
  server, PostgreSQL, the worker, this one with the fake) used while the reminders fell due: what
  bounds the lag.

    uv run python -m bench.open_incidents --incidents 1000 [--spread 10] [--lead 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psutil
import psycopg

from bench.declare import ReadinessLog
from bench.stack import BenchStack, bench_stack, latencies, on_call
from fireline import search_attributes, signals
from fireline.models import Declaration, DeclareIncidentInput, IncidentStatus
from fireline.policy import SeverityPolicy
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.stack import COMMANDER, REPORTER
from workflows.incident import IncidentWorkflow

LEVEL = "SEV2"
# Reminders not due within the run but for the snoozed one.
REMINDER_MINUTES = 60
SAMPLE_SECONDS = 0.5
# After the last due time: a reminder not posted by then is reported missing, not late.
GRACE_SECONDS = 120
POLL_SECONDS = 0.5
# Starting and declaring every incident; past it the bench fails rather than waits.
START_TIMEOUT = 3600


class ReminderLog:
    """When the fake received each incident's first reminder (wall clock), from its metadata."""

    def __init__(self, fake: FakeSlack) -> None:
        self.posted: dict[str, float] = {}
        self._lock = threading.Lock()
        on_call(fake, "chat.postMessage", self._seen)

    def _seen(self, args: dict[str, Any], at: float) -> None:
        metadata = args.get("metadata") or {}
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        payload = metadata.get("event_payload") or {}
        if str(payload.get("step", "")).startswith("reminder:"):
            with self._lock:
                self.posted.setdefault(str(payload["incident_id"]), time.time())


def reminding_policy(policy: SeverityPolicy) -> SeverityPolicy:
    policy = policy.model_copy(deep=True)
    level = policy.level(LEVEL)
    assert level is not None, f"the default policy has {LEVEL}"
    level.reminder_first_minutes = level.reminder_every_minutes = REMINDER_MINUTES
    return policy


def incident_input(stack: BenchStack, policy: SeverityPolicy, number: int) -> DeclareIncidentInput:
    settings = stack.stack.settings
    level = policy.level(LEVEL)
    assert level is not None
    return DeclareIncidentInput(
        incident_id=f"bench-incident-{uuid.uuid4()}",
        number=number,
        declaration=Declaration(
            title=f"Bench incident {number}",
            severity=LEVEL,
            reporter_id=REPORTER,
            commander_id=COMMANDER,
        ),
        severity=level,
        always_invite=policy.always_invite,
        feed_channel=settings.slack_feed_channel,
        temporal_ui_url=str(settings.temporal_ui_url),
        declared_at=datetime.now(UTC),
        policy=policy,
    )


async def start(stack: BenchStack, input: DeclareIncidentInput, gate: asyncio.Semaphore) -> None:
    async with gate:
        await stack.stack.temporal.start_workflow(
            IncidentWorkflow.run,
            input,
            id=input.incident_id,
            task_queue=stack.stack.settings.temporal_task_queue,
            search_attributes=search_attributes.for_incident(
                input.number, LEVEL, IncidentStatus.INVESTIGATING.value, COMMANDER, False
            ),
        )


async def snooze_evenly(stack: BenchStack, ids: list[str], spread: float, lead: int) -> None:
    """Snooze the incidents' reminders one after the other, evenly over `spread` seconds."""
    began = time.monotonic()
    sent = []
    for n, workflow_id in enumerate(ids):
        await asyncio.sleep(max(0.0, began + n * spread / len(ids) - time.monotonic()))
        handle = stack.stack.temporal.get_workflow_handle(workflow_id)
        snooze = signals.SnoozeReminderInput(minutes=lead, by=COMMANDER)
        sent.append(asyncio.create_task(handle.signal(signals.SNOOZE_REMINDER, snooze)))
    await asyncio.gather(*sent)


async def due_times(database_url: str) -> dict[str, float]:
    """Each incident's snoozed reminder's due time, from its timeline event in the record."""
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute(
            "SELECT incident_id, new_value FROM timeline_events WHERE kind = 'reminder_snoozed'"
        )
        rows = await cursor.fetchall()
    return {str(id): datetime.fromisoformat(str(until)).timestamp() for id, until in rows}


async def ready_times(ready: ReadinessLog, incidents: int) -> list[float]:
    """When each of the first `incidents` channels became ready, as they do."""
    async with asyncio.timeout(START_TIMEOUT):
        return [(await ready.ready.get())[1] for _ in range(incidents)]


class PeakRss:
    def __init__(self, stack: BenchStack) -> None:
        self.peak = dict.fromkeys(stack.children, 0)
        self._processes = {name: psutil.Process(c.pid) for name, c in stack.children.items()}
        self._task = asyncio.create_task(self._sample())

    async def _sample(self) -> None:
        while True:
            for name, process in self._processes.items():
                self.peak[name] = max(self.peak[name], process.memory_info().rss)
            await asyncio.sleep(SAMPLE_SECONDS)

    def __str__(self) -> str:
        self._task.cancel()
        return "  ".join(f"{name} {rss / 2**20:.0f}" for name, rss in self.peak.items())


def processes(stack: BenchStack) -> dict[str, list[psutil.Process]]:
    """The stack's processes by role: the dev server and PostgreSQL are children of this one."""
    me = psutil.Process()
    found: dict[str, list[psutil.Process]] = {"bench + Slack fake": [me]}
    for name, child in stack.children.items():
        found[name] = [psutil.Process(child.pid)]
    for process in me.children(recursive=True):
        name = process.name()
        if name.startswith("temporal"):
            found.setdefault("dev server", []).append(process)
        elif name.startswith("postgres"):
            found.setdefault("postgres", []).append(process)
    return found


@contextmanager
def cpu_used(stack: BenchStack) -> Iterator[dict[str, float]]:
    """CPU each role used within the block, as a share of one core (100 % = a core); a process
    that ended meanwhile (a PostgreSQL backend) is left out."""
    roles = processes(stack)

    def seconds(process: psutil.Process) -> float | None:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            return None
        return float(times.user + times.system)

    shares: dict[str, float] = {}
    before = {process.pid: seconds(process) for members in roles.values() for process in members}
    began = time.monotonic()
    yield shares
    elapsed = time.monotonic() - began
    for role, members in roles.items():
        used = 0.0
        for process in members:
            start, end = before[process.pid], seconds(process)
            if start is not None and end is not None:
                used += end - start
        shares[role] = used / elapsed * 100


async def run(incidents: int, concurrency: int, spread_minutes: float, lead: int) -> None:
    spread = spread_minutes * 60
    with FakeSlack() as fake:
        async with bench_stack(fake) as bench:
            policy = reminding_policy(bench.stack.policy)
            ready = ReadinessLog(fake, asyncio.get_running_loop())
            reminders, rss = ReminderLog(fake), PeakRss(bench)
            inputs = [incident_input(bench, policy, n) for n in range(1, incidents + 1)]
            gate = asyncio.Semaphore(concurrency)

            began = time.perf_counter()
            await asyncio.gather(*(start(bench, input, gate) for input in inputs))
            started = time.perf_counter() - began
            readies = await ready_times(ready, incidents)
            declared = max(readies)
            print(
                f"open incidents: {incidents}, started {concurrency} at a time, on "
                f"{os.cpu_count()} cores; reminders due over {spread_minutes:g} min, "
                f"{lead} min after their snoozes"
            )
            print(
                f"starting N:           {started:7.1f} s to start, "
                f"{declared - began:7.1f} s until every channel was ready",
                flush=True,
            )

            ids = [input.incident_id for input in inputs]
            snoozing = time.time()
            await snooze_evenly(bench, ids, spread, lead)
            first_due = snoozing + lead * 60
            await asyncio.sleep(max(0.0, first_due - time.time()))
            # Missing reminders are reported below, not raised.
            with cpu_used(bench) as cpu, contextlib.suppress(AssertionError):
                await eventually(
                    lambda: len(reminders.posted) == incidents,
                    timeout=spread + GRACE_SECONDS,
                    interval=POLL_SECONDS,
                )
            due = await due_times(bench.stack.settings.require_database_url())

            lags = [
                (reminders.posted[i] - due[i]) * 1000
                for i in ids
                if i in reminders.posted and i in due
            ]
            print(f"reminder lag ms:      {latencies(lags)}")
            missing = incidents - len(lags)
            print(f"reminders missing:    {missing}; without a due time: {incidents - len(due)}")
            print(f"peak RSS MiB:         {rss}")
            print(
                "CPU while due, % of a core: "
                + "  ".join(f"{role} {share:.0f}" for role, share in cpu.items())
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--spread", type=float, default=10.0, help="minutes the reminders fall due over"
    )
    parser.add_argument(
        "--lead", type=int, default=10, help="minutes from a snooze to its reminder"
    )
    args = parser.parse_args()
    asyncio.run(run(args.incidents, args.concurrency, args.spread, args.lead))


if __name__ == "__main__":
    main()
