"""Events API listeners: one for every event slack-app-manifest.yaml subscribes to, since Slack
retries an event the bot does not answer."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.help import mention_reply


def register(app: AsyncApp) -> None:
    @app.event("app_mention")
    async def mentioned(
        event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        await client.chat_postMessage(
            channel=event["channel"],
            thread_ts=event.get("thread_ts") or event["ts"],
            text=mention_reply(event.get("user"), event.get("text") or "", context.bot_user_id),
        )
