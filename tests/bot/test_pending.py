"""Pending declarations across bot restarts and replicas: a declaration a stopped bot left in the
outbox is started by the next bot, and the reporter hears about it once, from one bot."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from bot.app import slack_client
from bot.declare import Declarer
from bot.outbox import open_outbox
from bot.outbox.base import PendingDeclaration
from bot.pending import ADD_TIMEOUT_SECONDS, PendingDeclarations, pending_declarations
from fireline.devstack.localpg import free_port
from fireline.models import Declaration
from fireline.policy import load_policy
from fireline.settings import Settings
from tests.fakes.slack import FakeSlack
from tests.fixtures.outbox import EXPIRED, Store
from tests.helpers import eventually
from tests.stack import COMMANDER, REPORTER, running_worker, seed_workspace, stack_settings
from workflows.counter import counter_workflow_id
from workflows.incident import IncidentWorkflow


def pending(declared_at: datetime | None = None) -> PendingDeclaration:
    return PendingDeclaration(
        workflow_id=f"incident-T-{uuid.uuid4().hex[:8]}",
        declaration=Declaration(
            title="Login <broken>",
            severity="SEV2",
            description="Users see 500s",
            reporter_id=REPORTER,
            commander_id=COMMANDER,
        ),
        declared_at=declared_at or datetime.now(UTC),
    )


def bot_settings(slack: FakeSlack, temporal: Client, store: Store, **overrides: Any) -> Settings:
    seed_workspace(slack)
    address = temporal.service_client.config.target_host
    return stack_settings(slack, address, **{**store.settings, **overrides})


@asynccontextmanager
async def bot(settings: Settings, temporal: Client) -> AsyncIterator[PendingDeclarations]:
    """The bot's pending declarations as `fireline bot` runs them, without the Slack endpoint."""
    policy = load_policy(settings.severity_policy_file)
    slack = slack_client(settings)
    async with pending_declarations(settings, temporal, policy, slack) as declarations:
        yield declarations


@pytest.fixture
async def nowhere() -> Client:
    """A client of a Temporal that is down."""
    return await Client.connect(
        f"127.0.0.1:{free_port()}", data_converter=pydantic_data_converter, lazy=True
    )


def texts(slack: FakeSlack) -> list[str]:
    dm = slack.dm_channel(REPORTER)
    return [message["text"] for message in slack.messages(dm)] if dm else []


async def test_a_stopped_bots_declaration_starts_even_past_the_retry_window(
    store: Store, slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    entry = pending(declared_at=datetime.now(UTC) - timedelta(hours=1))
    await store.holder(lease=EXPIRED).add(entry)
    settings = bot_settings(slack, dev_server.client, store)

    async with (
        running_worker(dev_server.client, settings, database_url),
        bot(settings, dev_server.client),
    ):
        handle = dev_server.client.get_workflow_handle_for(IncidentWorkflow.run, entry.workflow_id)
        await eventually(lambda: _exists(handle))
        incident = await handle.query(IncidentWorkflow.get_incident)
        assert incident.declaration == entry.declaration
        assert incident.declared_at == entry.declared_at
        await eventually(lambda: slack.calls("conversations.create"))
        assert await eventually(lambda: _empty(store))

    assert not any("could not declare" in text for text in texts(slack))


async def test_replicas_tell_the_reporter_once(
    store: Store, slack: FakeSlack, nowhere: Client
) -> None:
    await store.holder(lease=EXPIRED).add(pending())
    settings = bot_settings(
        slack, nowhere, store, declare_retry_seconds=1.5, declare_delay_notice_seconds=0.3
    )

    async with bot(settings, nowhere), bot(settings, nowhere):
        await eventually(lambda: any("could not declare" in text for text in texts(slack)))
        assert await eventually(lambda: _empty(store))

    delayed, failed = texts(slack)
    assert "delayed" in delayed
    for typed in ("Login &lt;broken&gt;", "SEV2", "Users see 500s"):
        assert typed in failed


async def test_a_restarted_bot_does_not_repeat_the_delay_notice(
    store: Store, slack: FakeSlack, nowhere: Client
) -> None:
    stopped = store.holder(lease=EXPIRED)
    entry = pending()
    await stopped.add(entry)
    assert await stopped.take_delay_notice(entry.workflow_id)  # and told the reporter, then died
    settings = bot_settings(
        slack, nowhere, store, declare_retry_seconds=0.5, declare_delay_notice_seconds=0
    )

    async with bot(settings, nowhere):
        await eventually(lambda: texts(slack))
        assert await eventually(lambda: _empty(store))

    (failed,) = texts(slack)
    assert "could not declare" in failed


async def test_without_the_outbox_a_declaration_is_retried_in_memory(
    store: Store, slack: FakeSlack, nowhere: Client, caplog: pytest.LogCaptureFixture
) -> None:
    settings = bot_settings(
        slack, nowhere, store, declare_retry_seconds=3.0, declare_delay_notice_seconds=0.2
    )
    async with bot(settings, nowhere) as declarations:
        store.break_()
        entry = pending()
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="bot.pending"):
            await declarations.submit(entry.declaration, entry.workflow_id)
        # The ack waits for the outbox at most this long.
        assert time.monotonic() - started < ADD_TIMEOUT_SECONDS + 0.5
        (warning,) = [r.message for r in caplog.records if "in memory" in r.message]
        assert entry.workflow_id in warning

        await eventually(lambda: len(texts(slack)) == 2)
    delayed, failed = texts(slack)
    assert "delayed" in delayed and "could not declare" in failed


async def test_a_stalled_outbox_does_not_hold_up_the_ack(
    store: Store, slack: FakeSlack, nowhere: Client, caplog: pytest.LogCaptureFixture
) -> None:
    settings = bot_settings(slack, nowhere, store)
    async with bot(settings, nowhere) as declarations, store.stall():
        entry = pending()
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="bot.pending"):
            await declarations.submit(entry.declaration, entry.workflow_id)
        assert time.monotonic() - started < ADD_TIMEOUT_SECONDS + 0.5
        assert "retried in memory: no answer within" in caplog.text


async def test_the_bot_stops_at_once_mid_declaration(
    files_store: Store, slack: FakeSlack, dev_server: WorkflowEnvironment
) -> None:
    settings = bot_settings(slack, dev_server.client, files_store)
    counter = dev_server.client.get_workflow_handle(
        counter_workflow_id(settings.temporal_task_queue)
    )
    async with bot(settings, dev_server.client) as declarations:
        entry = pending()
        await declarations.submit(entry.declaration, entry.workflow_id)
        # No worker: the number's Update waits in Temporal, with the bot's call in flight.
        await eventually(lambda: _exists(counter))
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 1


async def _exists(handle: WorkflowHandle[Any, Any]) -> bool:
    try:
        await handle.describe()
    except RPCError:
        return False
    return True


async def _empty(store: Store) -> bool:
    """Nothing is left in the outbox (a fresh bot finds nothing to claim, even when released)."""
    return await store.holder().claim() == []


class CancellationSwallowingOutbox:
    """An outbox whose claim swallows a cancellation once, as psycopg's pool can while it hands
    out a connection."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.claiming = False
        self.swallowed = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def claim(self) -> list[PendingDeclaration]:
        self.claiming = True
        try:
            await asyncio.sleep(0.2)
        except asyncio.CancelledError:
            self.swallowed += 1
            return []
        return list(await self._inner.claim())


async def test_the_bot_stops_even_when_a_cancellation_is_swallowed(
    files_store: Store, slack: FakeSlack, nowhere: Client
) -> None:
    settings = bot_settings(slack, nowhere, files_store)
    async with open_outbox(settings) as outbox:
        swallowing = CancellationSwallowingOutbox(outbox)
        declarations = PendingDeclarations(
            swallowing, Declarer(nowhere, settings, load_policy(), slack_client(settings))
        )
        async with declarations.running():
            await eventually(lambda: swallowing.claiming)  # stopped while claiming
        stopped = time.monotonic()
    assert swallowing.swallowed == 1
    assert time.monotonic() - stopped < 1
