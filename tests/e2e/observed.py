"""`fireline worker` and `fireline bot` as processes of their own, exporting traces over OTLP to
the receiver fake and serving `/metrics` and `/healthz` on their metrics ports, with the real
Temporal dev server, PostgreSQL and the Slack fake."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from temporalio.client import Client

from fireline.devstack.localpg import free_port
from fireline.policy import load_policy
from tests.bot_process import Bot
from tests.fakes.otlp import OtlpReceiver
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.slack_requests import SlackRequests
from tests.stack import SIGNING_SECRET, Stack, seed_workspace, settings_env, stack_settings


@dataclass
class Observed:
    stack: Stack
    worker_port: int
    bot_port: int
    processes: list[Bot]

    async def metrics(self, port: int) -> dict[str, float]:
        """`/metrics` as {'name{label="v",...}': value}, labels sorted; service labels dropped."""
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/metrics") as response,
        ):
            assert response.status == 200
            return parse_metrics(await response.text())

    def logs(self) -> str:
        return "\n".join(process.log.read_text(errors="replace") for process in self.processes)


async def health(port: int) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/healthz") as response,
    ):
        return response.status, json.loads(await response.text())


_SAMPLE = re.compile(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
_IGNORED_LABELS = {"service_name", "otel_scope_name", "otel_scope_version", "otel_scope_schema_url"}


def parse_metrics(text: str) -> dict[str, float]:
    samples: dict[str, float] = {}
    for line in text.splitlines():
        found = _SAMPLE.match(line)
        if not found:
            continue
        name, labels, value = found.groups()
        kept = sorted(
            (key, val) for key, val in _LABEL.findall(labels or "") if key not in _IGNORED_LABELS
        )
        key = name + ("{" + ",".join(f'{k}="{v}"' for k, v in kept) + "}" if kept else "")
        samples[key] = samples.get(key, 0.0) + float(value)
    return samples


@asynccontextmanager
async def observed_stack(
    fake: FakeSlack,
    temporal: Client,
    database_url: str,
    receiver: OtlpReceiver,
    cwd: Path,
) -> AsyncIterator[Observed]:
    settings = stack_settings(
        fake,
        temporal.service_client.config.target_host,
        database_url,
        slack_feed_channel=seed_workspace(fake),
        port=free_port(),
        metrics_port=free_port(),
        bot_metrics_port=free_port(),
    )
    env = {
        **settings_env(settings),
        "PATH": "/usr/bin:/bin",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
        # Spans leave within 50 ms instead of 5 s, so the test waits for them briefly.
        "OTEL_BSP_SCHEDULE_DELAY": "50",
        "LOG_FORMAT": "json",
    }
    processes = [
        Bot(env, cwd, "worker", command="worker"),
        Bot(env, cwd, "bot", command="bot"),
    ]
    observed = Observed(
        Stack(
            fake=fake,
            temporal=temporal,
            settings=settings,
            policy=load_policy(None),
            slack=SlackRequests(
                f"http://127.0.0.1:{settings.port}/slack/events", SIGNING_SECRET, fake=fake
            ),
        ),
        worker_port=settings.metrics_port,
        bot_port=settings.bot_metrics_port,
        processes=processes,
    )
    try:

        async def healthy() -> bool:
            for process in processes:
                assert process.running()
            for port in (settings.metrics_port, settings.bot_metrics_port):
                try:
                    status, _ = await health(port)
                except aiohttp.ClientError:
                    return False
                if status != 200:
                    return False
            return True

        await eventually(healthy, timeout=60, interval=0.2)
        yield observed
    finally:
        for process in processes:
            await process.terminate()
