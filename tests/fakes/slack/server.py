"""The Slack HTTP endpoints on the shared loopback server (tests/fakes/http.py).

/api/<method>      Slack Web API (form, JSON or query args; Bearer token)
/response/<key>    response_url endpoints (JSON body)
"""

from __future__ import annotations

from ..http import FakeHttpServer, Outcome, Request
from .args import normalise, parse_body, parse_query
from .dispatch import RESPONSE_URL, Dispatcher


def slack_server(dispatcher: Dispatcher) -> FakeHttpServer:
    def respond(request: Request) -> Outcome:
        if request.path.startswith("/api/"):
            method, key = request.path.removeprefix("/api/"), None
        elif request.path.startswith("/response/"):
            method, key = RESPONSE_URL, request.path.removeprefix("/response/")
        else:
            return Outcome(404, b"not found", {"Content-Type": "text/plain"})
        try:
            args = parse_query(request.query)
            args.update(parse_body(request.body, request.headers.get("content-type", "")))
        except ValueError:
            return Outcome.json({"ok": False, "error": "invalid_json"})
        token = args.pop("token", None)
        auth = request.headers.get("authorization", "")
        if auth.startswith("Bearer "):
            token = auth.removeprefix("Bearer ").strip()
        return dispatcher.handle(
            method, normalise(args), token, key, client_gone=request.client_gone
        )

    return FakeHttpServer(respond, "slack")
