"""The declaration modal's submission: validate, ack (with field errors if any), then declare."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.declare import Declarer, incident_workflow_id
from bot.declare_form import CALLBACK_ID, read_submission
from fireline.policy import SeverityPolicy


def register(app: AsyncApp, policy: SeverityPolicy, declarer: Declarer) -> None:
    @app.view(CALLBACK_ID)
    async def declare_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        team_id = (body.get("team") or {}).get("id")
        result = read_submission(view, policy, body["user"]["id"], team_id)
        if isinstance(result, dict):
            await ack(response_action="errors", errors=result)
            return
        await ack()
        await declarer.declare(result, incident_workflow_id(team_id, view["id"]), client)
