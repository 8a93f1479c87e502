"""A bot restart during a Temporal outage: the declaration the bot acknowledged survives it.

The real `fireline bot` process over signed HTTP and a Temporal dev server of this test's own, on
a fixed port and database file, so it can be stopped and started again like a real one.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from bot.help import HELP
from fireline.devstack.dev import temporal_cli
from fireline.devstack.localpg import free_port
from fireline.policy import load_policy
from fireline.temporal import register_search_attributes
from tests.bot_process import Bot
from tests.fakes.slack import FakeSlack
from tests.fixtures.outbox import Store
from tests.fixtures.temporal import TEST_CONVERTER, TEST_ENCRYPTION_KEYS
from tests.helpers import eventually
from tests.slack_requests import SlackRequests
from tests.stack import (
    ONCE,
    REPORTER,
    SIGNING_SECRET,
    Stack,
    running_worker,
    seed_workspace,
    stack_settings,
)


@asynccontextmanager
async def temporal_server(port: int, database: Path) -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        port=port,
        dev_server_database_filename=str(database),
        dev_server_existing_path=temporal_cli(),
        data_converter=TEST_CONVERTER,
        dev_server_log_level="error",
    )
    try:
        await register_search_attributes(env.client, "default")
        yield env
    finally:
        await env.shutdown()


def bot_env(stack: Stack, store: Store) -> dict[str, str]:
    settings = stack.settings
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/"),
        "TEMPORAL_ADDRESS": settings.temporal_address,
        "TEMPORAL_TASK_QUEUE": settings.temporal_task_queue,
        "FIRELINE_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEYS,
        "SLACK_BOT_TOKEN": stack.fake.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": stack.fake.api_url,
        "SLACK_FEED_CHANNEL": stack.feed,
        "PORT": str(settings.port),
        "BOT_METRICS_PORT": str(free_port()),
        # Long enough that the bot never gives up, nor tells of a delay, during this test.
        "DECLARE_RETRY_SECONDS": "600",
        "DECLARE_DELAY_NOTICE_SECONDS": "600",
    }
    for name, value in store.settings.items():
        if value is not None:
            env[name.upper()] = str(value)
    return env


async def started_bot(env: dict[str, str], cwd: Path, name: str, port: int) -> Bot:
    bot = Bot(env, cwd, name)

    def listening() -> bool:
        with socket.socket() as sock:
            return bot.running() and sock.connect_ex(("127.0.0.1", port)) == 0

    await eventually(listening, timeout=30)
    return bot


async def test_a_declaration_survives_a_bot_restart_during_a_temporal_outage(
    store: Store, slack: FakeSlack, database_url: str, tmp_path: Path
) -> None:
    temporal_port, bot_port = free_port(), free_port()
    settings = stack_settings(
        slack,
        f"127.0.0.1:{temporal_port}",
        database_url,
        port=bot_port,
        slack_feed_channel=seed_workspace(slack),
    )
    requests = SlackRequests(
        f"http://127.0.0.1:{bot_port}/slack/events", SIGNING_SECRET, fake=slack
    )
    bots: list[Bot] = []
    try:
        async with temporal_server(temporal_port, tmp_path / "temporal.db") as temporal:
            stack = Stack(slack, temporal.client, settings, load_policy(None), requests)
            bots.append(await started_bot(bot_env(stack, store), tmp_path, "bot-1", bot_port))
            view = await stack.open_form()
        # Temporal is down: the bot acknowledges, then stops before Temporal is back.
        response = await stack.submit(view)
        assert response.status == 200 and response.text == ""
        await bots[0].terminate()

        bots.append(await started_bot(bot_env(stack, store), tmp_path, "bot-2", bot_port))
        # Draining does not keep the bot from answering Slack while Temporal is still down.
        help = await requests.slash_command(
            "/incident", text="help", user_id=REPORTER, channel_id=stack.feed
        )
        assert help.status == 200 and HELP in help.text

        async with temporal_server(temporal_port, tmp_path / "temporal.db") as temporal:
            stack.temporal = temporal.client
            async with running_worker(temporal.client, settings, database_url):
                incident = await stack.declared(stack.workflow_id(view), timeout=60)
                assert stack.artifact_counts(incident) == ONCE
                incidents = [
                    workflow.id
                    async for workflow in temporal.client.list_workflows(
                        "WorkflowType = 'IncidentWorkflow'"
                    )
                ]
                assert incidents == [stack.workflow_id(view)]
            await bots[1].terminate()
    finally:
        for bot in bots:
            if bot.process.poll() is None:
                bot.process.kill()
                bot.process.wait()
