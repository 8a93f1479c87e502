"""Fireline assembled for end-to-end tests: the real bot over HTTP on loopback, the real worker, the
real Temporal dev server and PostgreSQL, and the Slack fake that the real slack_sdk talks to."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import SecretStr
from temporalio.api.enums.v1 import EventType, PendingWorkflowTaskState
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from activities.clients import notion_client
from bot.app import bot_health, build_app, slack_client
from bot.http_endpoint import http_app
from bot.pending import pending_declarations
from fireline.db.pool import connection_pool
from fireline.devstack.dev import temporal_cli
from fireline.devstack.localpg import free_port
from fireline.integrations import integrations
from fireline.models import IncidentSnapshot
from fireline.policy import SeverityPolicy, load_policy
from fireline.settings import Settings
from tests.fakes.slack import FakeSlack
from tests.fixtures.temporal import TEST_ENCRYPTION_KEYS
from tests.helpers import eventually
from tests.slack_requests import BotResponse, SlackRequests, ack_message
from worker import build_worker, http_session
from workflows.incident import IncidentWorkflow

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
REPORTER = "UREPORTER"
COMMANDER = "UCOMMANDER"
ALWAYS = "UALWAYS"
LOOKER = "ULOOKER"
# Stack.artifact_counts of a declared incident without problems: one of everything.
ONCE = {
    "channels": 1,
    "summary": 1,
    "pins": 1,
    "feed": 1,
    "reporter_dm": 1,
    "bot messages in channel": 1,
}


def seed_workspace(fake: FakeSlack) -> str:
    """People and a feed channel the bot is in; returns the feed channel's id."""
    for user_id, name in (
        (REPORTER, "rita"),
        (COMMANDER, "carl"),
        (ALWAYS, "ana"),
        (LOOKER, "lou"),
    ):
        fake.add_user(user_id, name)
    return fake.add_channel("incidents", members=[LOOKER])


def form_values(
    *,
    title: str = "Checkout is failing",
    severity: str | None = "SEV2",
    description: str = "",
    impact: str = "",
    commander: str | None = None,
    private: bool = False,
    tags: list[str] | None = None,
) -> dict[str, Any]:
    """The declaration modal's `state.values`, as Slack sends them."""
    values: dict[str, Any] = {
        "title": {"value": {"type": "plain_text_input", "value": title}},
        "severity": {
            "value": {
                "type": "static_select",
                "selected_option": {"value": severity} if severity else None,
            }
        },
        "description": {"value": {"type": "plain_text_input", "value": description or None}},
        "impact": {"value": {"type": "plain_text_input", "value": impact or None}},
        "commander": {"value": {"type": "users_select", "selected_user": commander}},
        "private": {
            "value": {
                "type": "checkboxes",
                "selected_options": [{"value": "private"}] if private else [],
            }
        },
    }
    if tags is not None:
        values["tags"] = {
            "value": {
                "type": "multi_static_select",
                "selected_options": [{"value": tag} for tag in tags],
            }
        }
    return values


def stack_settings(
    fake: FakeSlack, temporal_address: str, database_url: str | None, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "temporal_address": temporal_address,
        "temporal_task_queue": f"fireline-test-{uuid.uuid4().hex[:8]}",
        "database_url": database_url,
        "slack_bot_token": fake.bot_token,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": fake.api_url,
        "port": 3000,
        "fireline_encryption_keys": TEST_ENCRYPTION_KEYS,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def settings_env(settings: Settings) -> dict[str, str]:
    """The variables under which `fireline worker` and `fireline bot` read `settings`."""
    return {
        name.upper(): value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        for name, value in settings.model_dump(include=settings.model_fields_set).items()
    }


@dataclass
class Stack:
    fake: FakeSlack
    temporal: Client
    settings: Settings
    policy: SeverityPolicy
    slack: SlackRequests

    async def open_form(self, user_id: str = REPORTER) -> dict[str, Any]:
        opened = len(self.fake.views())
        response = await self.slack.slash_command(
            "/incident", user_id=user_id, channel_id=self.feed
        )
        assert response.status == 200, response.text
        views = await eventually(lambda: self.fake.views()[opened:])
        return views[0]

    async def submit(
        self, view: dict[str, Any], user_id: str = REPORTER, **fields: Any
    ) -> BotResponse:
        return await self.slack.view_submission(view, user_id=user_id, values=form_values(**fields))

    async def declare(self, user_id: str = REPORTER, **fields: Any) -> str:
        """Open the form and submit it; returns the incident's workflow id."""
        view = await self.open_form(user_id)
        response = await self.submit(view, user_id, **fields)
        assert response.status == 200 and not response.text.strip(), response.text
        return self.workflow_id(view)

    def workflow_id(self, view: dict[str, Any]) -> str:
        return f"incident-{self.fake.team_id}-{view['id']}"

    def handle(self, workflow_id: str) -> WorkflowHandle[IncidentWorkflow, IncidentSnapshot]:
        return self.temporal.get_workflow_handle_for(IncidentWorkflow.run, workflow_id)

    async def declared(self, workflow_id: str, timeout: float = 30) -> IncidentSnapshot:
        """Wait until every declaration step has finished; returns the incident."""

        async def complete() -> IncidentSnapshot | None:
            try:
                incident = await self.handle(workflow_id).query(IncidentWorkflow.get_incident)
            except Exception:  # not started yet
                return None
            return incident if incident.declaration_complete else None

        return await eventually(complete, timeout=timeout)

    async def declared_in_channel(self, user_id: str = REPORTER, **fields: Any) -> IncidentSnapshot:
        """Declare an incident and wait until the bot can find it by its channel."""
        workflow_id = await self.declare(user_id, **fields)
        incident = await self.declared(workflow_id)
        assert incident.channel is not None
        query = f"IncidentChannel = '{incident.channel.id}'"

        async def found() -> list[str]:
            return [wf.id async for wf in self.temporal.list_workflows(query)]

        assert await eventually(found) == [workflow_id]
        return incident

    async def command(
        self, text: str, channel_id: str, user_id: str = REPORTER
    ) -> tuple[str, dict[str, str]]:
        """`/incident <text>` typed in a channel: what the person is shown, and the command's
        fields (to deliver them again)."""
        fields = self.slack.slash_command_fields(
            "/incident", text=text, user_id=user_id, channel_id=channel_id
        )
        return await self.shown(fields), fields

    async def shown(self, fields: dict[str, str]) -> str:
        """Deliver a slash command; what the person is shown: the ack's text, or once the bot
        acknowledged it empty, the ephemeral it sent to the command's response_url."""
        answered = len(self.fake.responses())
        text, response_type = ack_message(await self.slack.post_slash_command(fields))
        assert response_type == "ephemeral"
        if text:
            return text
        (posted,) = await eventually(lambda: self.fake.responses()[answered:])
        assert posted["body"]["response_type"] == "ephemeral", posted
        return str(posted["body"]["text"])

    async def signals(self, workflow_id: str) -> list[tuple[str, dict[str, Any]]]:
        """(name, input) of every signal the incident received, oldest first. Read once no
        workflow task is running: a signal that comes while one runs (a step tried in it) is
        written to the history when that task is done."""
        handle = self.temporal.get_workflow_handle(workflow_id)

        async def settled() -> bool:
            task = (await handle.describe()).raw_description.pending_workflow_task
            return task.state != PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED

        await eventually(settled)
        history = await handle.fetch_history()
        signals = []
        for event in history.events:
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
                signaled = event.workflow_execution_signaled_event_attributes
                (input,) = await self.temporal.data_converter.decode(signaled.input.payloads)
                signals.append((signaled.signal_name, input))
        return signals

    def tagged(self, channel: str | None, incident_id: str, step: str) -> list[dict[str, Any]]:
        """Messages Fireline posted in `channel` for this incident's `step` (by their metadata)."""
        if channel is None:
            return []
        return [
            message
            for message in self.fake.messages(channel)
            if (message.get("metadata") or {}).get("event_payload")
            == {"incident_id": incident_id, "step": step}
        ]

    def artifact_counts(self, incident: IncidentSnapshot) -> dict[str, int]:
        """How many of each Slack artefact exist for the incident; every value should be 1."""
        assert incident.channel is not None
        prefix = f"inc-{incident.number}-"
        channels = [c for c in self.fake.channels() if c["name"].startswith(prefix)]
        reporter_dm = self.fake.dm_channel(incident.declaration.reporter_id)
        bot_messages = [
            m for m in self.fake.messages(incident.channel.id) if m["user"] == self.fake.bot_user_id
        ]
        return {
            "channels": len(channels),
            "summary": len(self.tagged(incident.channel.id, incident.incident_id, "summary")),
            "pins": len(self.fake.pins(incident.channel.id)),
            "feed": len(self.tagged(self.feed, incident.incident_id, "feed")),
            "reporter_dm": len(self.tagged(reporter_dm, incident.incident_id, "reporter_dm")),
            "bot messages in channel": len(bot_messages),
        }

    @property
    def feed(self) -> str:
        assert self.settings.slack_feed_channel is not None
        return self.settings.slack_feed_channel


@asynccontextmanager
async def bot_server(settings: Settings, temporal: Client) -> AsyncIterator[str]:
    """The bot's HTTP endpoint on a free loopback port, wired as `fireline bot` wires it; yields
    its URL."""
    policy = load_policy(settings.severity_policy_file)
    slack = slack_client(settings)
    assert settings.slack_signing_secret is not None
    async with pending_declarations(settings, temporal, policy, slack) as pending:
        app = build_app(settings, temporal, policy, slack, pending)
        secret = settings.slack_signing_secret.get_secret_value()
        runner = web.AppRunner(http_app(app, secret, bot_health(temporal, slack)))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            yield f"http://127.0.0.1:{port}/slack/events"
        finally:
            await runner.cleanup()


@asynccontextmanager
async def fireline_stack(
    fake: FakeSlack,
    temporal: Client,
    database_url: str,
    *,
    run_worker: bool = True,
    **overrides: Any,
) -> AsyncIterator[Stack]:
    feed = seed_workspace(fake)
    overrides.setdefault("slack_feed_channel", feed)
    address = temporal.service_client.config.target_host
    settings = stack_settings(fake, address, database_url, **overrides)
    policy = load_policy(settings.severity_policy_file)
    async with bot_server(settings, temporal) as bot_url:
        stack = Stack(
            fake=fake,
            temporal=temporal,
            settings=settings,
            policy=policy,
            slack=SlackRequests(bot_url, SIGNING_SECRET, fake=fake),
        )
        if not run_worker:
            yield stack
            return
        async with running_worker(temporal, settings, database_url):
            yield stack


@asynccontextmanager
async def running_worker(
    temporal: Client, settings: Settings, database_url: str
) -> AsyncIterator[Worker]:
    """The real worker in this process, recording to `database_url`."""
    found = integrations(settings)
    notion = notion_client(found.notion) if found.notion else None
    try:
        async with (
            http_session() as http,
            connection_pool(database_url) as db,
            build_worker(temporal, settings, http=http, db=db, notion=notion) as worker,
        ):
            yield worker
    finally:
        if notion is not None:
            await notion.aclose()


async def cli_signal(stack: Stack, workflow_id: str, name: str, input: dict[str, Any]) -> None:
    """`temporal workflow signal`, exactly as an operator types it."""
    process = await asyncio.create_subprocess_exec(
        temporal_cli(),
        "workflow",
        "signal",
        "--address",
        stack.settings.temporal_address,
        "--workflow-id",
        workflow_id,
        "--name",
        name,
        "--input",
        json.dumps(input),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, (out + err).decode()


def worker_process(stack: Stack, **extra_env: str) -> subprocess.Popen[bytes]:
    """`fireline worker` as its own process for the stack (to SIGKILL it), with `extra_env`."""
    settings = stack.settings
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": settings.temporal_address,
        "TEMPORAL_TASK_QUEUE": settings.temporal_task_queue,
        "DATABASE_URL": settings.require_database_url(),
        "SLACK_BOT_TOKEN": stack.fake.bot_token,
        "SLACK_API_URL": stack.fake.api_url,
        "SLACK_FEED_CHANNEL": stack.feed,
        "FIRELINE_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEYS,
        **extra_env,
        "METRICS_PORT": str(free_port()),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "fireline", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
