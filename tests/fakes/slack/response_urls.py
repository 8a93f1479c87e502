"""response_url endpoints on the fake: what the app sent back to a slash command / action."""

from __future__ import annotations

import copy
import secrets
from typing import Any

from .state import Workspace


def issue(
    ws: Workspace,
    base_url: str,
    *,
    channel_id: str | None,
    user_id: str | None,
    message_ts: str | None,
) -> str:
    key = secrets.token_hex(12)
    ws.response_urls[key] = {
        "channel_id": channel_id,
        "user_id": user_id,
        "message_ts": message_ts,
    }
    return f"{base_url}/response/{key}"


def receive(ws: Workspace, key: str, body: dict[str, Any]) -> bool:
    """Record one POST to a response_url; apply in_channel / replace / delete like Slack."""
    target = ws.response_urls.get(key)
    if target is None:
        return False
    ws.responses.append({"key": key, **target, "body": copy.deepcopy(body)})
    channel = ws.channels.get(target["channel_id"] or "")
    if channel is None:
        return True
    original = ws.find_message(channel.id, target["message_ts"])
    if body.get("delete_original") and original is not None:
        ws.messages[channel.id].remove(original)
    elif body.get("replace_original") and original is not None:
        original.text = str(body.get("text", original.text))
        original.blocks = body.get("blocks", original.blocks)
        original.edited = {"user": ws.bot_user_id, "ts": ws.next_ts()}
    elif body.get("response_type") == "in_channel":
        ws.add_message(
            channel,
            str(body.get("text", "")),
            blocks=body.get("blocks"),
            thread_ts=body.get("thread_ts"),
        )
    return True
