"""conversations.info / list / members / history / replies / open."""

from __future__ import annotations

from typing import Any

from ..args import Args, SlackError
from ..shapes import channel_obj, message_obj, paginate
from ..state import Message, Workspace, ts_key

TYPES = frozenset({"public_channel", "private_channel", "im", "mpim"})


def info(ws: Workspace, a: Args) -> dict[str, Any]:
    channel = ws.resolve(a.text("channel"))
    return {"ok": True, "channel": channel_obj(ws, channel)}


def list_(ws: Workspace, a: Args) -> dict[str, Any]:
    types = set(a.ids("types")) or {"public_channel"}
    if not types <= TYPES:
        raise SlackError("invalid_types")
    exclude_archived = a.flag("exclude_archived")
    visible = []
    for ch in ws.channels.values():
        kind = "im" if ch.is_im else "private_channel" if ch.is_private else "public_channel"
        if kind not in types or not ws.bot_can_see(ch):
            continue
        if exclude_archived and ch.is_archived:
            continue
        visible.append(ch)
    page, cursor = paginate(visible, a.opt("cursor"), a.integer("limit", 100))
    return {
        "ok": True,
        "channels": [channel_obj(ws, ch) for ch in page],
        "response_metadata": {"next_cursor": cursor},
    }


def members(ws: Workspace, a: Args) -> dict[str, Any]:
    channel = ws.resolve(a.text("channel"))
    page, cursor = paginate(channel.members, a.opt("cursor"), a.integer("limit", 100))
    return {"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}}


def _readable(ws: Workspace, a: Args) -> str:
    channel = ws.resolve(a.text("channel"))
    ws.require_member(channel)  # bot tokens cannot read public channels they are not in
    return channel.id


def _in_window(m: Message, a: Args) -> bool:
    inclusive = a.flag("inclusive")
    key = ts_key(m.ts)
    if "oldest" in a:
        oldest = ts_key(a.text("oldest"))
        if key < oldest or (key == oldest and not inclusive):
            return False
    if "latest" in a:
        latest = ts_key(a.text("latest"))
        if key > latest or (key == latest and not inclusive):
            return False
    return True


def _page(ws: Workspace, a: Args, messages: list[Message], key: str) -> dict[str, Any]:
    limit = a.integer("limit", 100 if key == "messages" else 1000)
    page, cursor = paginate(messages, a.opt("cursor"), limit)
    with_meta = a.flag("include_all_metadata")
    return {
        "ok": True,
        key: [message_obj(ws, m, include_metadata=with_meta) for m in page],
        "has_more": bool(cursor),
        "pin_count": 0,
        "response_metadata": {"next_cursor": cursor},
    }


def history(ws: Workspace, a: Args) -> dict[str, Any]:
    channel_id = _readable(ws, a)
    top_level = [
        m
        for m in ws.messages[channel_id]
        if (m.thread_ts in (None, m.ts) or m.broadcast) and _in_window(m, a)
    ]
    top_level.reverse()  # newest first
    out = _page(ws, a, top_level, "messages")
    out["pin_count"] = len(ws.pins.get(channel_id, []))
    return out


def replies(ws: Workspace, a: Args) -> dict[str, Any]:
    channel_id = _readable(ws, a)
    parent = ws.find_message(channel_id, a.text("ts"))
    if parent is None:
        raise SlackError("thread_not_found")
    root = parent.thread_ts or parent.ts
    thread = [
        m
        for m in ws.messages[channel_id]
        if (m.ts == root or m.thread_ts == root) and (m.ts == root or _in_window(m, a))
    ]
    out = _page(ws, a, thread, "messages")
    del out["pin_count"]
    return out


def open_(ws: Workspace, a: Args) -> dict[str, Any]:
    users = a.ids("users")
    if a.opt("channel"):
        channel = ws.resolve(a.text("channel"))
        return {"ok": True, "channel": channel_obj(ws, channel)}
    if not users:
        raise SlackError("users_list_not_supplied")
    if len(users) > 1:
        raise SlackError("method_not_supported_for_channel_type")  # no MPIMs in the fake
    user = ws.require_user(users[0])
    if user.deleted:
        raise SlackError("user_disabled")
    existed = user.id in ws.ims
    channel = ws.open_im(user.id)
    shape = channel_obj(ws, channel) if a.flag("return_im") else {"id": channel.id}
    response: dict[str, Any] = {"ok": True, "channel": shape}
    if existed:
        response.update(no_op=True, already_open=True)
    return response


HANDLERS = {
    "conversations.info": info,
    "conversations.list": list_,
    "conversations.members": members,
    "conversations.history": history,
    "conversations.replies": replies,
    "conversations.open": open_,
}
