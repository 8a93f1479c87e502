"""The declaration modal's submission: validate, keep it, ack (with field errors if any)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.declare import incident_workflow_id
from bot.declare_form import CALLBACK_ID, read_submission
from bot.pending import PendingDeclarations
from fireline.policy import SeverityPolicy


def register(app: AsyncApp, policy: SeverityPolicy, pending: PendingDeclarations) -> None:
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
