"""chat.postMessage / update / postEphemeral / getPermalink / delete."""

from __future__ import annotations

from typing import Any

from ..args import Args, SlackError
from ..limits import MESSAGE_MAX_BLOCKS, MESSAGE_TEXT_MAX, block_errors
from ..shapes import message_obj
from ..state import Channel, Workspace

PERMALINK_BASE = "https://fake.slack.com/archives"


def _blocks(a: Args) -> list[dict[str, Any]] | None:
    if "blocks" not in a:
        return None
    try:
        blocks = a.decoded("blocks")
    except SlackError:
        raise SlackError("invalid_blocks_format") from None
    if not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    errors = block_errors(blocks, "/blocks", MESSAGE_MAX_BLOCKS)
    if errors:
        raise SlackError(
            "invalid_blocks",
            errors=[e.removeprefix("[ERROR] ") for e in errors],
            response_metadata={"messages": errors},
        )
    return blocks


def _metadata(a: Args) -> dict[str, Any] | None:
    if "metadata" not in a:
        return None
    try:
        metadata = a.decoded("metadata")
    except SlackError:
        raise SlackError("invalid_metadata_format") from None
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not isinstance(metadata.get("event_payload", {}), dict)
    ):
        raise SlackError("invalid_metadata_format")
    return {
        "event_type": metadata["event_type"],
        "event_payload": metadata.get("event_payload", {}),
    }


def _content(a: Args) -> tuple[str, list[dict[str, Any]] | None]:
    text = a.text("text")
    blocks = _blocks(a)
    if not text and not blocks and "attachments" not in a:
        raise SlackError("no_text")
    if len(text) > MESSAGE_TEXT_MAX:
        raise SlackError("msg_too_long")
    return text, blocks


def _postable(ws: Workspace, a: Args) -> Channel:
    channel = ws.resolve(a.text("channel"), open_dm=True)
    ws.require_active(channel)
    ws.require_member(channel)
    return channel


def post_message(ws: Workspace, a: Args) -> dict[str, Any]:
    channel = _postable(ws, a)
    text, blocks = _content(a)
    metadata = _metadata(a)
    thread_ts = a.opt("thread_ts")
    if thread_ts is not None:
        parent = ws.find_message(channel.id, thread_ts)
        thread_ts = (parent.thread_ts or parent.ts) if parent else thread_ts
    message = ws.add_message(
        channel,
        text,
        blocks=blocks,
        metadata=metadata,
        thread_ts=thread_ts,
        broadcast=bool(thread_ts) and a.flag("reply_broadcast"),
    )
    return {
        "ok": True,
        "channel": channel.id,
        "ts": message.ts,
        "message": message_obj(ws, message),
    }


def update(ws: Workspace, a: Args) -> dict[str, Any]:
    channel = ws.resolve(a.text("channel"))
    message = ws.require_message(channel.id, a.text("ts"))
    if message.user != ws.bot_user_id or message.subtype:
        raise SlackError("cant_update_message")
    ws.require_active(channel)
    # Omitted text/blocks keep the message's previous values (Slack's documented behaviour).
    text = a.text("text") if "text" in a.data else message.text
    blocks = _blocks(a) if "blocks" in a.data else message.blocks
    if not text and not blocks:
        raise SlackError("no_text")
    if len(text) > MESSAGE_TEXT_MAX:
        raise SlackError("msg_too_long")
    metadata = _metadata(a)
    message.text = text
    message.blocks = blocks
    if metadata is not None:
        message.metadata = metadata
    message.edited = {"user": ws.bot_user_id, "ts": ws.next_ts()}
    return {
        "ok": True,
        "channel": channel.id,
        "ts": message.ts,
        "text": text,
        "message": message_obj(ws, message),
    }


def post_ephemeral(ws: Workspace, a: Args) -> dict[str, Any]:
    channel = _postable(ws, a)
    user_id = a.text("user")
    ws.require_user(user_id)
    if user_id not in channel.members:
        raise SlackError("user_not_in_channel")
    text, blocks = _content(a)
    ts = ws.next_ts()
    ws.ephemerals.append(
        {
            "channel": channel.id,
            "user": user_id,
            "text": text,
            "blocks": blocks,
            "thread_ts": a.opt("thread_ts"),
            "message_ts": ts,
        }
    )
    return {"ok": True, "message_ts": ts}


def get_permalink(ws: Workspace, a: Args) -> dict[str, Any]:
    channel = ws.resolve(a.text("channel"))
    message = ws.require_message(channel.id, a.text("message_ts"))
    link = f"{PERMALINK_BASE}/{channel.id}/p{message.ts.replace('.', '')}"
    if message.thread_ts and message.thread_ts != message.ts:
        link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
    return {"ok": True, "channel": channel.id, "permalink": link}


def delete(ws: Workspace, a: Args) -> dict[str, Any]:
    channel = ws.resolve(a.text("channel"))
    message = ws.require_message(channel.id, a.text("ts"))
    if message.user != ws.bot_user_id:
        raise SlackError("cant_delete_message")
    ws.messages[channel.id].remove(message)
    pins = ws.pins.get(channel.id, [])
    if message.ts in pins:
        pins.remove(message.ts)
    return {"ok": True, "channel": channel.id, "ts": message.ts}


HANDLERS = {
    "chat.postMessage": post_message,
    "chat.update": update,
    "chat.postEphemeral": post_ephemeral,
    "chat.getPermalink": get_permalink,
    "chat.delete": delete,
}
