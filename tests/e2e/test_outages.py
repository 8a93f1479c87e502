"""Infrastructure failing mid-declaration: PostgreSQL down, the worker killed, Temporal away."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import psycopg
import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from fireline.db.queries import fetch_incident
from fireline.devstack.localpg import LocalPostgres, free_port
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.stack import ONCE, REPORTER, fireline_stack, worker_process

OUTAGE_SECONDS = 30


async def test_postgres_down_for_30s(
    slack: FakeSlack,
    dev_server: WorkflowEnvironment,
    database_url: str,
    stoppable_postgres: LocalPostgres,
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        view = await stack.open_form()
        stoppable_postgres.stop()
        await stack.submit(view)

        # The Slack side completes while the database is down.
        incident = await stack.declared(stack.workflow_id(view))
        assert stack.artifact_counts(incident) == ONCE
        with pytest.raises(psycopg.OperationalError):
            await psycopg.AsyncConnection.connect(database_url, connect_timeout=2)

        # The outage lasts its length whatever the incident does; nothing polls for it.
        await asyncio.sleep(OUTAGE_SECONDS)
        stoppable_postgres.start()

        assert incident.channel is not None
        channel_id = incident.channel.id

        async def caught_up() -> dict[str, Any] | None:
            # Writes scheduled during the outage land first; the latest snapshot follows.
            row = await fetch_incident(database_url, stack.workflow_id(view))
            return row if row and row["channel_id"] == channel_id else None

        row = await eventually(caught_up)
        assert row["number"] == incident.number
        assert [event["event_key"] for event in row["timeline"]] == ["declared"]
        assert stack.artifact_counts(incident) == ONCE


async def test_worker_killed_mid_declaration(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url, run_worker=False) as stack:
        view = await stack.open_form()
        # Slow Slack down so the kill lands while declaration steps are in flight.
        slow = [
            slack.faults.add(method, kind="latency", seconds=1.0)
            for method in ("chat.postMessage", "conversations.invite", "pins.add")
        ]
        worker = worker_process(stack)
        try:
            await stack.submit(view)
            await eventually(lambda: slack.calls("chat.postMessage"), timeout=30)
            worker.send_signal(signal.SIGKILL)
            assert worker.wait(timeout=10) == -signal.SIGKILL
            for rule in slow:
                slack.faults.remove(rule)
            worker = worker_process(stack)
            incident = await stack.declared(stack.workflow_id(view), timeout=60)
            assert stack.artifact_counts(incident) == ONCE
        finally:
            worker.kill()
            worker.wait()


async def test_temporal_unreachable_reports_once_and_keeps_what_was_typed(
    slack: FakeSlack, database_url: str
) -> None:
    nowhere = await Client.connect(
        f"127.0.0.1:{free_port()}", data_converter=pydantic_data_converter, lazy=True
    )
    async with fireline_stack(
        slack,
        nowhere,
        database_url,
        run_worker=False,
        declare_retry_seconds=2.0,
        declare_delay_notice_seconds=0.3,
    ) as stack:
        view = await stack.open_form()
        response = await stack.submit(
            view, title="Login <broken>", description="Users see 500s", impact="All logins"
        )
        # Acked at once: the modal closes while the bot keeps trying in the background.
        assert response.status == 200 and response.text == ""

        dm = await eventually(lambda: slack.dm_channel(REPORTER))
        # Two messages: the delay notice, once, then the one terminal failure.
        messages = await eventually(lambda: slack.messages(dm)[1:] and slack.messages(dm))
        delayed, failed = (message["text"] for message in messages)
        assert "delayed" in delayed
        assert "could not declare" in failed
        for typed in ("Login &lt;broken&gt;", "SEV2", "Users see 500s", "All logins"):
            assert typed in failed
        assert len(slack.messages(dm)) == 2
        assert slack.calls("conversations.create") == []
