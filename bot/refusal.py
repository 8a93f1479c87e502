"""Requests Fireline will not act on, answered to the person who made them.

The incident middleware and the listeners raise Refused before they acknowledge a request; the
app's one error handler answers it the way the request allows: in a slash command's
acknowledgement, through a button's response_url, or under a modal's first field, so the modal
stays open with what was typed.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncRespond
from slack_bolt.response import BoltResponse

UNREACHABLE = (
    "Fireline cannot reach its workflow engine right now, so nothing changed. "
    "Try again in a minute."
)


class Refused(Exception):
    """The message (mrkdwn, anything the person typed already escaped) says why and what to do
    instead."""


async def answer_refusal(
    refusal: Refused, body: dict[str, Any], respond: AsyncRespond
) -> BoltResponse:
    """The acknowledgement of the request `refusal` stops."""
    message = str(refusal)
    if body.get("type") == "view_submission":
        first_input = next(
            block["block_id"] for block in body["view"]["blocks"] if block["type"] == "input"
        )
        return BoltResponse(
            status=200, body={"response_action": "errors", "errors": {first_input: message}}
        )
    if "command" in body:
        return BoltResponse(status=200, body={"text": message, "response_type": "ephemeral"})
    await respond(text=message, response_type="ephemeral", replace_original=False)
    return BoltResponse(status=200, body="")
