"""Buttons on the pinned summary: each opens its form for the incident the button names."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.change_forms import OPENED_BY, FormOrigin
from bot.incident_context import INCIDENT, Middleware
from fireline.policy import SeverityPolicy


def register(app: AsyncApp, policy: SeverityPolicy, resolve_incident: Middleware) -> None:
    async def open_form(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        incident = context[INCIDENT]
        origin = FormOrigin(incident=incident.incident_id, channel=context.channel_id)
        view = OPENED_BY[body["actions"][0]["action_id"]](incident, policy, origin)
        await ack()  # then at once: the trigger_id lives 3 seconds
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    for action_id in OPENED_BY:
        app.action(action_id, middleware=[resolve_incident])(open_form)
