"""Modal submissions: the declaration form, and the forms that change an incident."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from temporalio.client import Client

from bot.change_forms import READERS
from bot.changes import send_change
from bot.declare import incident_workflow_id
from bot.declare_form import CALLBACK_ID, read_submission
from bot.incident_context import INCIDENT, Middleware
from bot.pending import PendingDeclarations
from fireline.policy import SeverityPolicy


def register(
    app: AsyncApp,
    policy: SeverityPolicy,
    pending: PendingDeclarations,
    temporal: Client,
    resolve_incident: Middleware,
) -> None:
    @app.view(CALLBACK_ID)
    async def declare_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        team_id = (body.get("team") or {}).get("id")
        result = read_submission(view, policy, body["user"]["id"], team_id)
        if isinstance(result, dict):
            await ack(response_action="errors", errors=result)
            return
        # Kept before the ack: once the modal closes, a bot restart must not lose it.
        await pending.submit(result, incident_workflow_id(team_id, view["id"]))
        await ack()

    async def change_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        incident = context[INCIDENT]
        result = READERS[view["callback_id"]](view, incident, policy, body["user"]["id"])
        if isinstance(result, dict):
            await ack(response_action="errors", errors=result)
            return
        # Sent before the ack: the modal closes once the incident has the change, and stays
        # open with what was typed, saying why, when it cannot (see bot.refusal).
        await send_change(temporal, incident, *result)
        await ack()

    for callback_id in READERS:
        app.view(callback_id, middleware=[resolve_incident])(change_submitted)
