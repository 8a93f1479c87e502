"""`/incident`: opens the declaration modal, or in an incident's channel that incident's help;
subcommands are added as the product grows."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.declare_form import declare_modal
from bot.help import HELP, incident_channel_help
from bot.incident_lookup import IncidentLookup
from fireline.policy import SeverityPolicy
from fireline.render.text import escape


def register(app: AsyncApp, policy: SeverityPolicy, incidents: IncidentLookup) -> None:
    @app.command("/incident")
    async def incident_command(
        ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        subcommand = (command.get("text") or "").strip().split(" ", 1)[0].lower()
        if subcommand in ("", "help"):
            # In an incident's channel these are about that incident. The lookup is bounded
            # (well inside Slack's 3 s for the ack and the trigger_id).
            incident = await incidents.by_channel(context.channel_id)
            if incident is not None:
                await ack(text=incident_channel_help(incident.reference))
                return
        if subcommand in ("", "declare", "new"):
            # ack first, then views.open at once: the trigger_id lives only 3 seconds.
            await ack()
            await client.views_open(
                trigger_id=command["trigger_id"], view=declare_modal(policy, command["user_id"])
            )
        elif subcommand == "help":
            await ack(text=HELP)
        else:
            await ack(text=f"Unknown subcommand `{escape(subcommand)}`. Try `/incident help`.")
