"""`/healthz`: unhealthy, and saying why, within a second when Temporal does not answer or Slack
refuses the token, while Slack's own requests are served as usual. Healthy is tested on the
real processes (test_observability.py)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from fireline.telemetry.health import PROBE_TIMEOUT, pollers_check
from tests.fakes.slack import FakeSlack
from tests.fixtures.temporal import TEST_CONVERTER
from tests.slack_requests import SlackRequests
from tests.stack import REPORTER, SIGNING_SECRET, bot_server, seed_workspace, stack_settings


@pytest.fixture
def silent_temporal() -> Iterator[str]:
    """An address that accepts connections and never answers (a hung server, a black hole)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"127.0.0.1:{listener.getsockname()[1]}"


async def get_health(url: str) -> tuple[int, dict[str, Any], float]:
    started = time.monotonic()
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        body = await response.json()
        return response.status, body, time.monotonic() - started


async def test_the_bot_is_unhealthy_at_once_while_temporal_does_not_answer(
    slack: FakeSlack, silent_temporal: str, tmp_path: Path
) -> None:
    settings = stack_settings(
        slack,
        silent_temporal,
        None,
        fireline_data_dir=tmp_path,
        slack_feed_channel=seed_workspace(slack),
    )
    temporal = await Client.connect(silent_temporal, data_converter=TEST_CONVERTER, lazy=True)
    async with bot_server(settings, temporal) as events_url:
        health_url = events_url.replace("/slack/events", "/healthz")
        health = asyncio.create_task(get_health(health_url))
        # A Slack request meanwhile is answered without waiting for the health probe.
        requests = SlackRequests(events_url, SIGNING_SECRET, fake=slack)
        response = await requests.global_shortcut("declare_incident", user_id=REPORTER)
        assert response.status == 200
        assert not health.done(), "the shortcut was answered before the health probe gave up"
        status, body, took = await health

    assert status == 503 and took < 1.0, (status, took)
    assert body == {
        "ok": False,
        "checks": {"temporal": f"no answer within {PROBE_TIMEOUT} s", "slack_auth": "ok"},
    }


async def test_the_bot_is_unhealthy_when_slack_refuses_its_token(
    slack: FakeSlack, dev_server: WorkflowEnvironment, tmp_path: Path
) -> None:
    settings = stack_settings(
        slack,
        dev_server.client.service_client.config.target_host,
        None,
        fireline_data_dir=tmp_path,
        slack_feed_channel=seed_workspace(slack),
    )
    slack.faults.add("auth.test", kind="error", error="token_revoked")
    async with bot_server(settings, dev_server.client) as events_url:
        status, body, took = await get_health(events_url.replace("/slack/events", "/healthz"))

    assert status == 503 and took < 1.0
    assert body["checks"] == {"temporal": "ok", "slack_auth": "token_revoked"}


async def test_a_worker_the_server_does_not_see_polling_is_unhealthy(
    dev_server: WorkflowEnvironment,
) -> None:
    check = pollers_check(dev_server.client, "fireline-nobody-polls", lambda: True)
    assert await check.state() == "not polling for workflow tasks"
    stopped = pollers_check(dev_server.client, "fireline-nobody-polls", lambda: False)
    assert await stopped.state() == "worker not running"
