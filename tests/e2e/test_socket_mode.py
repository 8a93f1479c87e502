"""`fireline bot` in Socket Mode, as deployed without a public URL: the real process opens a Socket
Mode connection on the Slack fake and answers the envelopes Slack sends over it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from temporalio.testing import WorkflowEnvironment

from bot.help import HELP
from fireline.devstack.localpg import free_port
from tests.bot_process import STOP_TIMEOUT, Bot
from tests.e2e.observed import health, parse_metrics
from tests.fakes.slack import FakeSlack
from tests.fixtures.temporal import TEST_ENCRYPTION_KEYS
from tests.helpers import eventually
from tests.slack_requests import SlackRequests
from tests.stack import COMMANDER, seed_workspace

START_TIMEOUT = 30.0


@pytest.fixture
def bot(slack: FakeSlack, dev_server: WorkflowEnvironment, tmp_path: Path) -> Iterator[Bot]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/"),
        "SLACK_APP_TOKEN": slack.app_token,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_API_URL": slack.api_url,
        "TEMPORAL_ADDRESS": dev_server.client.service_client.config.target_host,
        "FIRELINE_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEYS,
        "BOT_METRICS_PORT": str(free_port()),
    }
    started = Bot(env, tmp_path)  # tmp_path as cwd: no stray .env is read
    try:
        yield started
    finally:
        if started.process.poll() is None:
            started.process.kill()
            started.process.wait(STOP_TIMEOUT)


async def connected(slack: FakeSlack, bot: Bot) -> None:
    """The bot opened a Socket Mode connection with its app-level token and got Slack's hello."""

    def hello_sent() -> bool:
        bot.running()
        return slack.socket_mode.connections() == 1 and any(
            message["type"] == "hello" for message in slack.socket_mode.sent()
        )

    await eventually(hello_sent, timeout=START_TIMEOUT)
    opened = [c for c in slack.calls("apps.connections.open") if c.response and c.response["ok"]]
    assert opened, slack.calls("apps.connections.open")  # only the app token gets a URL


async def test_slash_commands_arrive_over_socket_mode(slack: FakeSlack, bot: Bot) -> None:
    feed = seed_workspace(slack)
    requests = SlackRequests("", "", fake=slack)  # nothing is posted: Slack sends over the socket
    await connected(slack, bot)

    fields = requests.slash_command_fields("/incident", user_id=COMMANDER, channel_id=feed)
    envelope_id = slack.socket_mode.send("slash_commands", fields)
    ack = await eventually(lambda: slack.socket_mode.ack(envelope_id), timeout=10)
    assert ack == {"envelope_id": envelope_id}  # a bare ack: nothing shown in the channel
    (view,) = await eventually(slack.views, timeout=10)
    assert view["trigger_id"] == fields["trigger_id"] and view["user"] == COMMANDER
    assert view["callback_id"] == "declare_incident"

    fields = requests.slash_command_fields(
        "/incident", text="help", user_id=COMMANDER, channel_id=feed
    )
    envelope_id = slack.socket_mode.send("slash_commands", fields)
    ack = await eventually(lambda: slack.socket_mode.ack(envelope_id), timeout=10)
    assert ack is not None and ack["payload"] == {"text": HELP}
    assert bot.running()


async def test_health_and_metrics_are_on_the_metrics_port(slack: FakeSlack, bot: Bot) -> None:
    """Socket Mode listens on no port for Slack: /healthz and /metrics are on BOT_METRICS_PORT."""
    feed = seed_workspace(slack)
    await connected(slack, bot)
    port = int(bot.env["BOT_METRICS_PORT"])
    assert await health(port) == (
        200,
        {"ok": True, "checks": {"temporal": "ok", "slack_auth": "ok"}},
    )

    fields = SlackRequests("", "", fake=slack).slash_command_fields(
        "/incident", user_id=COMMANDER, channel_id=feed
    )
    envelope_id = slack.socket_mode.send("slash_commands", fields)
    await eventually(lambda: slack.socket_mode.ack(envelope_id), timeout=10)
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/metrics") as response,
    ):
        samples = parse_metrics(await response.text())
    assert samples['fireline_slack_ack_duration_seconds_count{kind="slash_command"}'] == 1


async def test_sigterm_stops_the_bot(slack: FakeSlack, bot: Bot) -> None:
    await connected(slack, bot)
    await bot.terminate()
    await eventually(lambda: slack.socket_mode.connections() == 0, timeout=5)


async def test_sigterm_stops_the_bot_while_slack_is_unreachable(slack: FakeSlack, bot: Bot) -> None:
    """The Socket Mode client retries apps.connections.open forever; a signal still stops it."""
    slack.faults.add("apps.connections.open", kind="outage")
    await eventually(
        lambda: bot.running() and slack.calls("apps.connections.open"), timeout=START_TIMEOUT
    )
    await bot.terminate()
