"""`/incident`: opens the declaration modal; subcommands are added as the product grows."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.declare_form import declare_modal
from bot.help import HELP
from fireline.policy import SeverityPolicy
from fireline.render.text import escape


def register(app: AsyncApp, policy: SeverityPolicy) -> None:
    @app.command("/incident")
    async def incident_command(
        ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient
    ) -> None:
        subcommand = (command.get("text") or "").strip().split(" ", 1)[0].lower()
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
