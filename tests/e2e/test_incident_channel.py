"""`/incident` typed in an incident's own channel is about that incident: its help, not a new
declaration form. The bot finds the incident by the IncidentChannel search attribute; when
Temporal cannot say in time, `/incident` opens the form as anywhere else."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from tests.fakes.slack import FakeSlack
from tests.slack_requests import ack_message
from tests.stack import REPORTER, fireline_stack


@pytest.mark.parametrize("text", ["", "help"])
async def test_incident_in_its_channel_shows_the_incident_help(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str, text: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        incident = await stack.declared_in_channel()
        assert incident.channel is not None
        response = await stack.slack.slash_command(
            "/incident", text=text, user_id=REPORTER, channel_id=incident.channel.id
        )
        help_text, response_type = ack_message(response)
        assert response_type == "ephemeral"
        assert f"*{incident.reference}*" in help_text
        for usage in ("status <status> [note]", "severity <level>", "role <role> @person"):
            assert f"`/incident {usage}`" in help_text
        assert "`/incident update`" in help_text and "`/incident note <text>`" in help_text
        assert "`/incident` in any other channel" in help_text

        # Elsewhere /incident still opens the form; the one above opened none, not even later.
        await stack.open_form()
        assert len(slack.calls("views.open")) == 2  # the declaration's, then this one


@asynccontextmanager
async def temporal_that_cannot_answer(behaviour: str) -> AsyncIterator[Client]:
    """A Temporal address where nothing listens, or where a server accepts and never answers."""

    async def stay_silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up
        writer.close()

    if behaviour == "refuses":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        yield await Client.connect(f"127.0.0.1:{port}", lazy=True)
        return
    server = await asyncio.start_server(stay_silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield await Client.connect(f"127.0.0.1:{port}", lazy=True)
        server.close()


@pytest.mark.parametrize("behaviour", ["refuses", "never-answers"])
async def test_form_opens_when_temporal_cannot_say(
    slack: FakeSlack, database_url: str, caplog: pytest.LogCaptureFixture, behaviour: str
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.incident_lookup")
    async with (
        temporal_that_cannot_answer(behaviour) as temporal,
        fireline_stack(slack, temporal, database_url, run_worker=False) as stack,
    ):
        # The fake refuses a trigger_id older than 3 s, so the form opening proves the lookup
        # gave up in time.
        view = await stack.open_form()
        assert view["callback_id"] == "declare_incident"
    (logged,) = [r for r in caplog.records if r.name == "bot.incident_lookup"]
    assert stack.feed in logged.getMessage() and logged.exc_info is None
