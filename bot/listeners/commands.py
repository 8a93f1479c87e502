"""`/incident [subcommand]`: dispatched through the table in bot.subcommands, with the incident
of the channel it was typed in resolved by the incident middleware."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.command_text import split
from bot.incident_context import INCIDENT, Middleware
from bot.subcommands import CommandRequest, Services, subcommand


def register(app: AsyncApp, services: Services, resolve_incident: Middleware) -> None:
    @app.command("/incident", middleware=[resolve_incident])
    async def incident_command(
        ack: AsyncAck,
        respond: AsyncRespond,
        command: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        name, args = split(command.get("text") or "")
        incident = context[INCIDENT]
        request = CommandRequest(ack, respond, client, command, args, incident, services)
        await subcommand(name, incident).run(request)
