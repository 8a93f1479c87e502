"""views.open / update / push / publish, with Slack's trigger_id rules.

A trigger_id comes from ``fake.issue_trigger_id(user)``, is valid for 3 seconds
of the fake's clock and can be exchanged once.
"""

from __future__ import annotations

import json
from typing import Any

from ..args import Args, SlackError
from ..limits import VIEW_MAX_BYTES, view_errors
from ..shapes import view_obj
from ..state import Trigger, View, Workspace

TRIGGER_TTL_SECONDS = 3.0
MAX_STACK = 3


def _trigger(ws: Workspace, a: Args) -> Trigger:
    trigger = ws.triggers.get(a.text("trigger_id"))
    if trigger is None:
        raise SlackError("invalid_trigger_id")
    if trigger.used:
        raise SlackError("exchanged_trigger_id")
    if ws.now() - trigger.issued_at > TRIGGER_TTL_SECONDS:
        raise SlackError("expired_trigger_id")
    return trigger


def _payload(
    ws: Workspace, a: Args, expected_type: str, current: View | None = None
) -> dict[str, Any]:
    view = a.decoded("view")
    if view is None:
        raise SlackError(
            "invalid_arguments",
            response_metadata={"messages": ["[ERROR] missing required field: view"]},
        )
    errors = view_errors(view, expected_type=expected_type)
    if errors:
        raise SlackError("invalid_arguments", response_metadata={"messages": errors})
    if len(json.dumps(view).encode()) > VIEW_MAX_BYTES:
        raise SlackError("view_too_large")
    external_id = view.get("external_id")
    if external_id:
        holder = next(
            (v for v in ws.views.values() if v.payload.get("external_id") == external_id),
            None,
        )
        if holder is not None and holder is not current:
            raise SlackError("duplicate_external_id")
    return dict(view)


def _new_view(
    ws: Workspace, user: str, trigger_id: str | None, payload: dict[str, Any], root: str | None
) -> View:
    view_id = ws.new_id("V")
    view = View(view_id, user, trigger_id, ws.new_hash(), payload, root or view_id)
    ws.views[view_id] = view
    return view


def views_open(ws: Workspace, a: Args) -> dict[str, Any]:
    trigger = _trigger(ws, a)
    payload = _payload(ws, a, "modal")
    trigger.used = True
    view = _new_view(ws, trigger.user, trigger.id, payload, None)
    ws.view_stacks[trigger.user] = [view.id]
    return {"ok": True, "view": view_obj(ws, view)}


def views_push(ws: Workspace, a: Args) -> dict[str, Any]:
    trigger = _trigger(ws, a)
    payload = _payload(ws, a, "modal")
    stack = ws.view_stacks.setdefault(trigger.user, [])
    if len(stack) >= MAX_STACK:
        raise SlackError("push_limit_reached")
    trigger.used = True
    view = _new_view(ws, trigger.user, trigger.id, payload, stack[0] if stack else None)
    view.previous_view_id = stack[-1] if stack else None
    stack.append(view.id)
    return {"ok": True, "view": view_obj(ws, view)}


def views_update(ws: Workspace, a: Args) -> dict[str, Any]:
    if a.opt("view_id"):
        view = ws.views.get(a.text("view_id"))
    elif a.opt("external_id"):
        external_id = a.text("external_id")
        view = next(
            (v for v in ws.views.values() if v.payload.get("external_id") == external_id),
            None,
        )
    else:
        raise SlackError("invalid_arguments")
    if view is None:
        raise SlackError("not_found")
    if a.opt("hash") and a.text("hash") != view.hash:
        raise SlackError("hash_conflict")
    view.payload = _payload(ws, a, str(view.payload.get("type", "modal")), view)
    view.hash = ws.new_hash()
    return {"ok": True, "view": view_obj(ws, view)}


def views_publish(ws: Workspace, a: Args) -> dict[str, Any]:
    user = ws.require_user(a.text("user_id"))
    existing = next(
        (v for v in ws.views.values() if v.user == user.id and v.payload.get("type") == "home"),
        None,
    )
    payload = _payload(ws, a, "home", existing)
    if existing is None:
        existing = _new_view(ws, user.id, None, payload, None)
    elif a.opt("hash") and a.text("hash") != existing.hash:
        raise SlackError("hash_conflict")
    existing.payload = payload
    existing.hash = ws.new_hash()
    return {"ok": True, "view": view_obj(ws, existing)}


HANDLERS = {
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
}
