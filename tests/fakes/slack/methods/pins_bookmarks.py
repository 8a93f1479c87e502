"""pins.add / list / remove and bookmarks.add / list / edit / remove."""

from __future__ import annotations

from typing import Any

from ..args import Args, SlackError
from ..shapes import message_obj
from ..state import Channel, Workspace

MAX_PINS = 100
MAX_BOOKMARKS = 100


def _member_channel(ws: Workspace, ref: str) -> Channel:
    channel = ws.resolve(ref)
    ws.require_member(channel)
    return channel


def pins_add(ws: Workspace, a: Args) -> dict[str, Any]:
    channel = _member_channel(ws, a.text("channel"))
    ws.require_active(channel)
    message = ws.require_message(channel.id, a.text("timestamp"))
    pins = ws.pins.setdefault(channel.id, [])
    if message.ts in pins:
        raise SlackError("already_pinned")
    if len(pins) >= MAX_PINS:
        raise SlackError("too_many_pins")
    pins.append(message.ts)
    return {"ok": True}


def pins_list(ws: Workspace, a: Args) -> dict[str, Any]:
    channel = _member_channel(ws, a.text("channel"))
    items = []
    for ts in reversed(ws.pins.get(channel.id, [])):
        message = ws.require_message(channel.id, ts)
        items.append(
            {
                "type": "message",
                "channel": channel.id,
                "created_by": ws.bot_user_id,
                "message": message_obj(ws, message),
            }
        )
    return {"ok": True, "items": items}


def pins_remove(ws: Workspace, a: Args) -> dict[str, Any]:
    channel = _member_channel(ws, a.text("channel"))
    ts = a.text("timestamp")
    ws.require_message(channel.id, ts)
    pins = ws.pins.get(channel.id, [])
    if ts not in pins:
        raise SlackError("no_pin")
    pins.remove(ts)
    return {"ok": True}


def _link(a: Args) -> str:
    link = a.text("link")
    if not link.startswith(("http://", "https://")):
        raise SlackError("invalid_link")
    return link


def _bookmark(ws: Workspace, a: Args) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    channel = _member_channel(ws, a.text("channel_id"))
    marks = ws.bookmarks.setdefault(channel.id, [])
    mark = next((b for b in marks if b["id"] == a.text("bookmark_id")), None)
    if mark is None:
        raise SlackError("not_found")
    return marks, mark


def bookmarks_add(ws: Workspace, a: Args) -> dict[str, Any]:
    channel = _member_channel(ws, a.text("channel_id"))
    ws.require_active(channel)
    if a.text("type") != "link":
        raise SlackError("invalid_bookmark_type")
    if not a.text("title"):
        raise SlackError("invalid_arguments")
    link = _link(a)
    marks = ws.bookmarks.setdefault(channel.id, [])
    if len(marks) >= MAX_BOOKMARKS:
        raise SlackError("too_many_bookmarks")
    now = int(ws.now())
    mark = {
        "id": ws.new_id("Bk"),
        "channel_id": channel.id,
        "title": a.text("title"),
        "link": link,
        "emoji": a.opt("emoji"),
        "icon_url": None,
        "type": "link",
        "entity_id": None,
        "date_created": now,
        "date_updated": now,
        "rank": chr(ord("U") + len(marks) % 5),
        "last_updated_by_user_id": ws.bot_user_id,
        "last_updated_by_team_id": ws.team_id,
        "shortcut_id": None,
        "app_id": None,
    }
    marks.append(mark)
    return {"ok": True, "bookmark": dict(mark)}


def bookmarks_list(ws: Workspace, a: Args) -> dict[str, Any]:
    channel = _member_channel(ws, a.text("channel_id"))
    return {"ok": True, "bookmarks": [dict(b) for b in ws.bookmarks.get(channel.id, [])]}


def bookmarks_edit(ws: Workspace, a: Args) -> dict[str, Any]:
    _, mark = _bookmark(ws, a)
    if "link" in a:
        mark["link"] = _link(a)
    if "title" in a:
        mark["title"] = a.text("title")
    if "emoji" in a:
        mark["emoji"] = a.text("emoji")
    mark["date_updated"] = int(ws.now())
    return {"ok": True, "bookmark": dict(mark)}


def bookmarks_remove(ws: Workspace, a: Args) -> dict[str, Any]:
    marks, mark = _bookmark(ws, a)
    marks.remove(mark)
    return {"ok": True}


HANDLERS = {
    "pins.add": pins_add,
    "pins.list": pins_list,
    "pins.remove": pins_remove,
    "bookmarks.add": bookmarks_add,
    "bookmarks.list": bookmarks_list,
    "bookmarks.edit": bookmarks_edit,
    "bookmarks.remove": bookmarks_remove,
}
