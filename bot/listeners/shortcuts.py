"""Shortcuts that open the declaration modal: global, and on a message (prefilled from it)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.declare_form import SourceMessage, declare_modal
from fireline.policy import SeverityPolicy

GLOBAL_SHORTCUT = "declare_incident"
MESSAGE_SHORTCUT = "declare_incident_from_message"


def register(app: AsyncApp, policy: SeverityPolicy) -> None:
    @app.shortcut(GLOBAL_SHORTCUT)
    async def declare_shortcut(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(
            trigger_id=body["trigger_id"], view=declare_modal(policy, body["user"]["id"])
        )

    @app.shortcut(MESSAGE_SHORTCUT)
    async def declare_from_message(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        reporter = body["user"]["id"]
        message = body.get("message") or {}
        text = message.get("text") or ""
        channel_id, ts = body["channel"]["id"], message["ts"]
        source = SourceMessage(channel_id=channel_id, ts=ts)
        # Open first, inside the trigger's 3 seconds; the permalink lookup fills it in afterwards.
        opened = await client.views_open(
            trigger_id=body["trigger_id"],
            view=declare_modal(policy, reporter, description=text, source=source),
        )
        try:
            link = await client.chat_getPermalink(channel=channel_id, message_ts=ts)
        except SlackApiError:
            return  # the form stays usable with the text alone
        source.permalink = str(link["permalink"])
        view = opened["view"]
        await client.views_update(
            view_id=view["id"],
            hash=view["hash"],
            view=declare_modal(
                policy, reporter, description=f"{text}\n\nFrom: {source.permalink}", source=source
            ),
        )
