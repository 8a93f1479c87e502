"""Changes to open incidents from Slack: ack latency and how soon the pinned summary shows them.

Runs the real stack on this machine (bench/stack.py). Declares `--incidents` incidents, then sends
`--changes` status, severity and role changes spread over them as `/incident` commands typed in
their channels, through the signed HTTP endpoint, `--concurrency` at a time. An incident has at
most one change in flight, from the command until its summary shows it; then its next one is sent
(an incident applies its changes in order, one at a time, as its responders send them). Prints:

- ack latency: the slash command's POST until the bot's HTTP answer;
- change-to-summary: the POST until the fake receives the chat.update of the incident's summary
  that shows the change;
- changes per second, the worker's and the bot's RSS, and the CPU seconds each process (worker,
  bot, Temporal dev server, this harness with the Slack fake) spent while the changes ran;
- when everything the changes do after the summary (their messages, topics, feed and status
  channel posts, the record) was done, and the CPU seconds spent until then: the summary comes
  first and the rest follows, so the work is only all counted once nothing is left in flight.

Every change is valid: an incident's changes take turns at status (identified, mitigated, then
investigating again: a reopen), severity (SEV1 and SEV2 by turns; it is declared SEV2) and roles
(comms and tech lead, given to the commander and to the reporter by turns).

    uv run python -m bench.lifecycle --incidents 20 --changes 200 --concurrency 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bench.stack import bench_stack, latencies, on_call
from fireline.models import IncidentSnapshot
from fireline.render.incident import role_label
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.slack_requests import ack_message
from tests.stack import COMMANDER, REPORTER, Stack

STATUSES = ("identified", "mitigated", "investigating")
SEVERITIES = ("SEV1", "SEV2")
ROLES = ("comms", "tech_lead")
PEOPLE = (COMMANDER, REPORTER)
# Generous: a change not on the summary by then is lost, not slow.
SUMMARY_TIMEOUT = 60.0


@dataclass(frozen=True)
class Change:
    text: str  # after `/incident `
    shows: str  # how a field of the summary's facts starts once the change is applied


def nth_change(n: int) -> Change:
    """An incident's n-th change (from 0); valid after the ones before it."""
    turn = n // 3
    if n % 3 == 0:
        status = STATUSES[turn % len(STATUSES)]
        return Change(f"status {status}", f"*Status*\n{status}")
    if n % 3 == 1:
        level = SEVERITIES[turn % len(SEVERITIES)]
        return Change(f"severity {level}", f"*Severity*\n{level} (")
    role, person = ROLES[turn % len(ROLES)], PEOPLE[turn // len(ROLES) % len(PEOPLE)]
    return Change(f"role {role} <@{person}>", f"*{role_label(role)}*\n<@{person}>")


@dataclass(frozen=True)
class Timing:
    sent: float
    acked: float
    summarised: float


class SummaryWatch:
    """When each incident's summary first showed the change it waits for, checked as the fake
    receives each chat.update."""

    def __init__(self, fake: FakeSlack) -> None:
        self._loop = asyncio.get_running_loop()
        self._lock = threading.Lock()
        self._waiting: dict[tuple[str, str], tuple[str, asyncio.Future[float]]] = {}
        on_call(fake, "chat.update", self._seen)

    def expect(self, incident: IncidentSnapshot, shows: str) -> asyncio.Future[float]:
        assert incident.channel is not None and incident.summary_ts is not None
        future = self._loop.create_future()
        with self._lock:
            self._waiting[incident.channel.id, incident.summary_ts] = (shows, future)
        return future

    def _seen(self, args: dict[str, Any], at: float) -> None:
        key = (str(args.get("channel")), str(args.get("ts")))
        with self._lock:
            waiting = self._waiting.get(key)
            if waiting is None or not any(f.startswith(waiting[0]) for f in _facts(args)):
                return
            del self._waiting[key]
        self._loop.call_soon_threadsafe(waiting[1].set_result, at)


def _facts(args: dict[str, Any]) -> Iterator[str]:
    for block in args.get("blocks") or []:
        for field in block.get("fields", []):
            yield str(field["text"])


async def send(stack: Stack, watch: SummaryWatch, incident: IncidentSnapshot, n: int) -> Timing:
    """Type the incident's n-th change in its channel; wait until its summary shows it."""
    assert incident.channel is not None
    change = nth_change(n)
    fields = stack.slack.slash_command_fields(
        "/incident", text=change.text, user_id=REPORTER, channel_id=incident.channel.id
    )
    summarised = watch.expect(incident, change.shows)
    sent = time.perf_counter()
    response = await stack.slack.post_slash_command(fields)
    acked = time.perf_counter()
    told, _ = ack_message(response)
    assert not told, f"{incident.reference}: `/incident {change.text}` was answered: {told}"
    try:
        async with asyncio.timeout(SUMMARY_TIMEOUT):
            return Timing(sent, acked, await summarised)
    except TimeoutError:
        raise AssertionError(
            f"{incident.reference}: `/incident {change.text}` not on its summary after "
            f"{SUMMARY_TIMEOUT:.0f} s"
        ) from None


async def idle(stack: Stack, incident: IncidentSnapshot) -> bool:
    """Nothing in flight for the incident: no workflow task and no activity pending."""
    described = await stack.temporal.get_workflow_handle(incident.incident_id).describe()
    raw = described.raw_description
    return not raw.HasField("pending_workflow_task") and not raw.pending_activities


async def send_in_turn(
    stack: Stack,
    watch: SummaryWatch,
    incident: IncidentSnapshot,
    count: int,
    gate: asyncio.Semaphore,
) -> list[Timing]:
    timings = []
    for n in range(count):
        async with gate:
            timings.append(await send(stack, watch, incident, n))
    return timings


async def run(incidents: int, changes: int, concurrency: int) -> None:
    with FakeSlack() as fake:
        async with bench_stack(fake) as bench:
            stack = bench.stack
            watch = SummaryWatch(fake)
            # One more incident for a warm-up change: the change path's imports and connections.
            warmup, *opened = [
                await stack.declared_in_channel(title=f"Bench incident {i}", commander=COMMANDER)
                for i in range(incidents + 1)
            ]
            await send(stack, watch, warmup, 0)

            gate = asyncio.Semaphore(concurrency)
            # Change j goes to incident j % incidents: as even a spread as the numbers allow.
            counts = [len(range(i, changes, incidents)) for i in range(incidents)]
            cpu_before = bench.cpu_seconds()
            started = time.perf_counter()
            per_incident = await asyncio.gather(
                *(
                    send_in_turn(stack, watch, incident, count, gate)
                    for incident, count in zip(opened, counts, strict=True)
                )
            )
            timings = [timing for sent in per_incident for timing in sent]
            elapsed = max(t.summarised for t in timings) - started
            cpu_after = bench.cpu_seconds()

            async def all_idle() -> bool:
                # No change is sent any more: an incident found idle stays idle.
                return all([await idle(stack, incident) for incident in opened])

            await eventually(all_idle, timeout=60)
            settled = time.perf_counter() - started
            cpu_settled = bench.cpu_seconds()

            at_a_time = min(concurrency, incidents)
            print(
                f"changes: {changes} to {incidents} incidents, {at_a_time} at a time, "
                f"on {os.cpu_count()} cores"
            )
            print(
                f"ack latency ms:        {latencies([(t.acked - t.sent) * 1000 for t in timings])}"
            )
            print(
                "change-to-summary ms:  "
                f"{latencies([(t.summarised - t.sent) * 1000 for t in timings])}"
            )
            print(f"changes/s:             {changes / elapsed:7.2f}")
            print(f"RSS MiB:               {bench.rss()}")
            print(f"CPU s in the run:      {cpu_spent(cpu_before, cpu_after)}")
            print(f"all done after s:      {settled:7.2f}  (the last summary: {elapsed:.2f})")
            print(f"CPU s until all done:  {cpu_spent(cpu_before, cpu_settled)}")


def cpu_spent(before: dict[str, float], after: dict[str, float]) -> str:
    return "  ".join(f"{name} {after[name] - before[name]:.1f}" for name in after)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=20)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.incidents, args.changes, args.concurrency))


if __name__ == "__main__":
    main()
