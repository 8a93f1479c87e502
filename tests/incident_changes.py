"""What the end-to-end tests of changing an incident share: pressing the pinned summary's buttons,
filling the change forms, and reading what Fireline said in the incident's channel."""

from __future__ import annotations

from typing import Any

from fireline.models import IncidentSnapshot
from tests.helpers import eventually
from tests.slack_requests import BotResponse
from tests.stack import REPORTER, Stack


async def press(
    stack: Stack, action_id: str, incident: IncidentSnapshot, user_id: str = REPORTER
) -> BotResponse:
    """Press a button on the incident's pinned summary."""
    assert incident.channel is not None
    (summary,) = stack.tagged(incident.channel.id, incident.incident_id, "summary")
    return await stack.slack.block_actions(
        actions=[{"type": "button", "action_id": action_id, "value": incident.incident_id}],
        user_id=user_id,
        channel_id=incident.channel.id,
        message=summary,
    )


async def opened_form(stack: Stack, action_id: str, incident: IncidentSnapshot) -> dict[str, Any]:
    """Press a summary button; the form it opened."""
    opened = len(stack.fake.views())
    response = await press(stack, action_id, incident)
    assert response.status == 200 and response.text == ""
    (form,) = await eventually(lambda: stack.fake.views()[opened:])
    return form


def select(value: str) -> dict[str, Any]:
    """A static select's submitted state."""
    return {"value": {"type": "static_select", "selected_option": {"value": value}}}


def text(value: str | None) -> dict[str, Any]:
    """A text input's submitted state."""
    return {"value": {"type": "plain_text_input", "value": value}}


def said(stack: Stack, incident: IncidentSnapshot, words: str) -> list[str]:
    """The texts of Fireline's blocks in the incident's channel that contain `words`."""
    assert incident.channel is not None
    return [
        block["text"]["text"]
        for message in stack.fake.messages(incident.channel.id)
        if message["user"] == stack.fake.bot_user_id
        for block in message.get("blocks") or []
        if words in (block.get("text") or {}).get("text", "")
    ]
