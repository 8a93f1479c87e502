"""From a parsed request to an Outcome: faults, auth, the method handler, call log."""

from __future__ import annotations

import copy
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..faults import FaultRule, Faults
from ..http import Outcome
from . import response_urls
from .args import Args, SlackError
from .methods import HANDLERS
from .state import Workspace

SERVER_ERROR_HTML = (
    b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
    b"<title>Server Error | Slack</title></head><body><h1>Server Error</h1>"
    b"<p>It seems like there's a problem connecting to our servers.</p></body></html>"
)
RESPONSE_URL = "response_url"
CONNECTIONS_OPEN = "apps.connections.open"


@dataclass(frozen=True)
class Call:
    """One request the fake received. status 0 means the connection was dropped."""

    method: str
    args: dict[str, Any]
    status: int
    response: dict[str, Any] | None
    fault: str | None = None


class Dispatcher:
    def __init__(
        self,
        ws: Workspace,
        faults: Faults,
        lock: threading.Lock,
        token: str,
        app_token: str,
        socket_url: Callable[[], str],
    ) -> None:
        self.ws = ws
        self.faults = faults
        self.lock = lock
        self.token = token
        self.app_token = app_token
        self.socket_url = socket_url
        self.calls: list[Call] = []

    def _record(self, method: str, args: dict[str, Any], status: int, **kw: Any) -> None:
        response = kw.get("response")
        with self.lock:
            self.calls.append(
                Call(method, copy.deepcopy(args), status, copy.deepcopy(response), kw.get("fault"))
            )

    def handle(
        self,
        method: str,
        args: dict[str, Any],
        token: str | None,
        key: str | None = None,
        *,
        client_gone: Callable[[], bool] | None = None,
    ) -> Outcome:
        delay, rule = self.faults.match(method, args)
        if delay > 0:
            time.sleep(delay)
            # Latency comes before the effect; a request whose client gave up meanwhile is
            # dropped undone, as a front end drops work for a closed connection.
            if client_gone is not None and client_gone():
                self._record(method, args, 0, fault="client_gone")
                return Outcome(drop=True)
        if rule is not None and rule.kind != "drop_after_effect":
            return self._fault(method, args, rule)
        status, response = self._execute(method, args, token, key)
        if rule is not None:  # drop_after_effect: the effect happened, the answer is lost
            self._record(method, args, 0, response=response, fault=rule.kind)
            return Outcome(drop=True)
        self._record(method, args, status, response=response)
        if method == RESPONSE_URL:
            return Outcome(status, b"ok" if status == 200 else b"no_service", _TEXT)
        return Outcome.json(response or {}, status)

    def _fault(self, method: str, args: dict[str, Any], rule: FaultRule) -> Outcome:
        if rule.kind == "outage":
            self._record(method, args, 0, fault=rule.kind)
            return Outcome(drop=True)
        if rule.kind == "http_error":
            self._record(method, args, rule.status, fault=rule.kind)
            return Outcome(rule.status, SERVER_ERROR_HTML, {"Content-Type": "text/html"})
        error = "ratelimited" if rule.kind == "ratelimited" else rule.error or "fatal_error"
        body = {"ok": False, "error": error}
        if rule.kind == "ratelimited":
            self._record(method, args, 429, response=body, fault=rule.kind)
            return Outcome.json(body, 429, **{"Retry-After": str(rule.retry_after)})
        self._record(method, args, 200, response=body, fault=rule.kind)
        return Outcome.json(body)

    def _execute(
        self, method: str, args: dict[str, Any], token: str | None, key: str | None
    ) -> tuple[int, dict[str, Any] | None]:
        with self.lock:
            if method == RESPONSE_URL:
                found = response_urls.receive(self.ws, key or "", args)
                return (200, None) if found else (404, None)
            if method == CONNECTIONS_OPEN:
                return 200, self._connections_open(token)
            handler = HANDLERS.get(method)
            if handler is None:
                return 200, {"ok": False, "error": "unknown_method", "req_method": method}
            if not token:
                return 200, {"ok": False, "error": "not_authed"}
            if token == self.app_token:  # app-level tokens only open Socket Mode connections
                return 200, {"ok": False, "error": "not_allowed_token_type"}
            if token != self.token:
                return 200, {"ok": False, "error": "invalid_auth"}
            try:
                return 200, handler(self.ws, Args(args))
            except SlackError as err:
                return 200, err.body()
            except Exception as exc:  # a bug in the fake: answer loudly, never drop
                traceback.print_exc()
                return 500, {"ok": False, "error": "fake_slack_bug", "detail": repr(exc)}

    def _connections_open(self, token: str | None) -> dict[str, Any]:
        """Socket Mode's URL, for the app-level token only (a bot token is the wrong type)."""
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token == self.token:
            return {"ok": False, "error": "not_allowed_token_type"}
        if token != self.app_token:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": self.socket_url()}


_TEXT = {"Content-Type": "text/plain; charset=utf-8"}
