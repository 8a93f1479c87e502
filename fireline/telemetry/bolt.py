"""The bot's span and ack latency for each Slack request, over HTTP and Socket Mode alike.

A span per request names its kind, its command or callback id, the team and the user, never what
anyone typed. It ends when the bot answers Slack (the ack); the listener's work after the ack
(starting or signalling the incident) runs in its context, so it joins the same trace.
"""

from __future__ import annotations

import time
from typing import Any

from opentelemetry import trace
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from fireline.telemetry.metrics import ACK_LATENCY

_tracer = trace.get_tracer("fireline.bot")


def describe(body: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The request's kind and the ids that say what it is for (no text)."""
    if "command" in body:
        return "slash_command", {"slack.command": str(body["command"])}
    kind = str(body.get("type") or "unknown")
    callback: Any = None
    if kind in ("shortcut", "message_action"):
        callback = body.get("callback_id")
    elif kind in ("view_submission", "view_closed"):
        callback = (body.get("view") or {}).get("callback_id")
    elif kind in ("block_actions", "block_suggestion"):
        actions = body.get("actions") or [body]
        callback = actions[0].get("action_id")
    elif kind == "event_callback":
        return "event", {"slack.event": str((body.get("event") or {}).get("type"))}
    return kind, {"slack.callback_id": str(callback)} if callback else {}


class ObservedApp(AsyncApp):
    """Bolt's app, dispatching each request inside its span and timing its ack."""

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        started = time.perf_counter()
        kind, ids = describe(req.body)
        attributes = {"slack.request.kind": kind, **ids}
        if req.context.team_id:
            attributes["slack.team_id"] = req.context.team_id
        if req.context.user_id:
            attributes["slack.user_id"] = req.context.user_id
        with _tracer.start_as_current_span(
            f"slack {kind}", kind=trace.SpanKind.SERVER, attributes=attributes
        ) as span:
            response = await super().async_dispatch(req)
            span.set_attribute("http.response.status_code", response.status)
        ACK_LATENCY.record(time.perf_counter() - started, {"kind": kind})
        return response
