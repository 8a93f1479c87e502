"""Render workspace objects in Slack's JSON shapes, plus cursor pagination."""

from __future__ import annotations

import base64
import copy
from collections.abc import Sequence
from typing import Any, TypeVar

from .args import SlackError
from .state import Channel, Message, Topic, User, View, Workspace

T = TypeVar("T")


def _topic(topic: Topic) -> dict[str, Any]:
    return {"value": topic.value, "creator": topic.creator, "last_set": topic.last_set}


def channel_obj(ws: Workspace, ch: Channel) -> dict[str, Any]:
    if ch.is_im:
        return {
            "id": ch.id,
            "created": ch.created,
            "is_im": True,
            "is_org_shared": False,
            "user": ch.im_user,
            "is_user_deleted": bool(ch.im_user and ws.users[ch.im_user].deleted),
            "priority": 0,
        }
    return {
        "id": ch.id,
        "name": ch.name,
        "is_channel": True,
        "is_group": False,
        "is_im": False,
        "is_mpim": False,
        "is_private": ch.is_private,
        "created": ch.created,
        "is_archived": ch.is_archived,
        "is_general": ch.name == "general",
        "unlinked": 0,
        "name_normalized": ch.name,
        "is_shared": False,
        "is_org_shared": False,
        "is_ext_shared": False,
        "is_pending_ext_shared": False,
        "pending_shared": [],
        "context_team_id": ws.team_id,
        "parent_conversation": None,
        "creator": ch.creator,
        "is_member": ws.bot_user_id in ch.members,
        "topic": _topic(ch.topic),
        "purpose": _topic(ch.purpose),
        "previous_names": list(ch.previous_names),
        "num_members": len(ch.members),
        "shared_team_ids": [ws.team_id],
    }


def channel_snapshot(ch: Channel) -> dict[str, Any]:
    """Test-facing summary: topic/purpose as plain strings, members as a list."""
    return {
        "id": ch.id,
        "name": ch.name,
        "is_private": ch.is_private,
        "is_im": ch.is_im,
        "is_archived": ch.is_archived,
        "members": list(ch.members),
        "topic": ch.topic.value,
        "purpose": ch.purpose.value,
        "creator": ch.creator,
        "created": ch.created,
        "previous_names": list(ch.previous_names),
    }


def message_obj(ws: Workspace, m: Message, *, include_metadata: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "message", "user": m.user, "text": m.text, "ts": m.ts}
    if m.subtype:
        out["subtype"] = m.subtype
    if m.user == ws.bot_user_id:
        out.update(bot_id=ws.bot_id, app_id=ws.app_id)
    out["team"] = ws.team_id
    if m.blocks is not None:
        out["blocks"] = copy.deepcopy(m.blocks)
    if m.thread_ts:
        out["thread_ts"] = m.thread_ts
    if m.thread_ts and m.thread_ts != m.ts:
        out["parent_user_id"] = _parent_user(ws, m)
    if m.reply_count:
        out.update(
            reply_count=m.reply_count,
            reply_users_count=len(m.reply_users),
            reply_users=list(m.reply_users),
            latest_reply=m.latest_reply,
        )
    if m.edited:
        out["edited"] = dict(m.edited)
    if include_metadata and m.metadata is not None:
        out["metadata"] = copy.deepcopy(m.metadata)
    return out


def _parent_user(ws: Workspace, m: Message) -> str:
    parent = ws.find_message(m.channel, m.thread_ts)
    return parent.user if parent else ""


def message_snapshot(ws: Workspace, m: Message) -> dict[str, Any]:
    out = message_obj(ws, m)
    out.update(
        channel=m.channel,
        blocks=copy.deepcopy(m.blocks),
        metadata=copy.deepcopy(m.metadata),
        thread_ts=m.thread_ts,
        edited=dict(m.edited) if m.edited else None,
        subtype=m.subtype,
    )
    return out


def user_obj(ws: Workspace, u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "team_id": ws.team_id,
        "name": u.name,
        "deleted": u.deleted,
        "real_name": u.name,
        "tz": "Europe/London",
        "tz_label": "Greenwich Mean Time",
        "tz_offset": 0,
        "is_admin": False,
        "is_owner": False,
        "is_bot": u.is_bot,
        "is_app_user": False,
        "updated": 1_700_000_000,
        "profile": {
            "real_name": u.name,
            "display_name": u.name,
            "email": u.email,
            "team": ws.team_id,
        },
    }


def view_obj(ws: Workspace, v: View) -> dict[str, Any]:
    p = v.payload
    return {
        "id": v.id,
        "team_id": ws.team_id,
        "type": p.get("type"),
        "blocks": copy.deepcopy(p.get("blocks", [])),
        "private_metadata": p.get("private_metadata", ""),
        "callback_id": p.get("callback_id", ""),
        "state": {"values": {}},
        "hash": v.hash,
        "title": copy.deepcopy(p.get("title")),
        "clear_on_close": bool(p.get("clear_on_close", False)),
        "notify_on_close": bool(p.get("notify_on_close", False)),
        "close": copy.deepcopy(p.get("close")),
        "submit": copy.deepcopy(p.get("submit")),
        "previous_view_id": v.previous_view_id,
        "root_view_id": v.root_view_id,
        "app_id": ws.app_id,
        "external_id": p.get("external_id", ""),
        "app_installed_team_id": ws.team_id,
        "bot_id": ws.bot_id,
    }


def paginate(items: Sequence[T], cursor: str | None, limit: int) -> tuple[list[T], str]:
    """Slice items from an opaque cursor; return (page, next_cursor or "")."""
    start = 0
    if cursor:
        try:
            kind, _, offset = base64.b64decode(cursor).decode().partition(":")
            start = int(offset)
        except ValueError:
            raise SlackError("invalid_cursor") from None
        if kind != "next" or start < 0 or start > len(items):
            raise SlackError("invalid_cursor")
    limit = max(1, min(limit, 1000))
    page = list(items[start : start + limit])
    end = start + len(page)
    next_cursor = base64.b64encode(f"next:{end}".encode()).decode() if end < len(items) else ""
    return page, next_cursor
