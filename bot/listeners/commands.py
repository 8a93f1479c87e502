"""`/incident [subcommand]`: dispatched through the table in bot.subcommands, with the incident
of the channel it was typed in looked up when the subcommand needs it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.command_text import split
from bot.incident_context import ChannelIncident
from bot.incident_lookup import IncidentLookup
from bot.subcommands import CommandRequest, Services, subcommand


def register(app: AsyncApp, services: Services, incidents: IncidentLookup) -> None:
    @app.command("/incident")
    async def incident_command(
        ack: AsyncAck,
        respond: AsyncRespond,
        command: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        name, args = split(command.get("text") or "")
        here = ChannelIncident(incidents, context.channel_id)
        request = CommandRequest(ack, respond, client, command, name, args, here, services)
        await (await subcommand(name, here)).run(request)
