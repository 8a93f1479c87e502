"""auth.test, users.info / list / lookupByEmail."""

from __future__ import annotations

from typing import Any

from ..args import Args, SlackError
from ..shapes import paginate, user_obj
from ..state import Workspace


def auth_test(ws: Workspace, a: Args) -> dict[str, Any]:
    return {
        "ok": True,
        "url": "https://fake.slack.com/",
        "team": "Fake Workspace",
        "user": ws.users[ws.bot_user_id].name,
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


def users_info(ws: Workspace, a: Args) -> dict[str, Any]:
    return {"ok": True, "user": user_obj(ws, ws.require_user(a.text("user")))}


def users_list(ws: Workspace, a: Args) -> dict[str, Any]:
    page, cursor = paginate(list(ws.users.values()), a.opt("cursor"), a.integer("limit", 200))
    return {
        "ok": True,
        "members": [user_obj(ws, u) for u in page],
        "cache_ts": int(ws.now()),
        "response_metadata": {"next_cursor": cursor},
    }


def users_lookup_by_email(ws: Workspace, a: Args) -> dict[str, Any]:
    email = a.text("email").lower()
    user = next((u for u in ws.users.values() if u.email and u.email.lower() == email), None)
    if user is None:
        raise SlackError("users_not_found")
    return {"ok": True, "user": user_obj(ws, user)}


HANDLERS = {
    "auth.test": auth_test,
    "users.info": users_info,
    "users.list": users_list,
    "users.lookupByEmail": users_lookup_by_email,
}
