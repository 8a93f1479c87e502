"""Buttons: those on the pinned summary (and on reminders) open their form for the incident the
button names; `Take <role>` on an unclaimed-role nudge gives the role to whoever clicked."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient
from temporalio.client import Client

from bot.change_forms import OPENED_BY, FormOrigin
from bot.changes import send_change
from bot.incident_context import INCIDENT, Middleware
from fireline.policy import SeverityPolicy
from fireline.render.incident import ACTION_TAKE_ROLE
from fireline.signals import ASSIGN_ROLE, AssignRoleInput

TAKE_ROLE = re.compile(rf"^{ACTION_TAKE_ROLE}:(\w+)$")


def register(
    app: AsyncApp, policy: SeverityPolicy, temporal: Client, resolve_incident: Middleware
) -> None:
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

    @app.action(TAKE_ROLE, middleware=[resolve_incident])
    async def take_role(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        action = body["actions"][0]
        match = TAKE_ROLE.match(action["action_id"])
        assert match is not None  # the listener's own pattern
        user = body["user"]["id"]
        # The click's action_ts: a redelivered click assigns nothing twice. The workflow says in
        # the channel who took the role, or tells the clicker why not.
        change = AssignRoleInput(
            role=match.group(1), user=user, by=user, request_id=action["action_ts"]
        )
        await send_change(temporal, context[INCIDENT], ASSIGN_ROLE, change)
