"""FakePagerDuty: lifecycle, seeding, inspection and fault injection (the Slack fake's rules:
latency, 5xx, 429, outage, answer lost after the effect), over TLS on 127.0.0.1."""

from __future__ import annotations

import copy
import json
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.faults import FaultRule, Faults
from tests.fakes.http import FakeHttpServer, Outcome, Request
from tests.fakes.slack.dispatch import Call

from . import events, rest
from .state import Account, Alert, OnCall, User
from .tls import server_context

# The integration key and REST token the fake accepts (an integration key is 32 characters).
ROUTING_KEY = "f1e2d3c4b5a6978812345678abcdef01"
API_TOKEN = "u+fake-pagerduty-token"
# Fault rules name these "methods".
ENQUEUE = "enqueue"
ONCALLS = "oncalls"
USERS = "users"
THROTTLED = {
    "status": "throttle event",
    "message": "Requests for this service are arriving too quickly.  Please retry later.",
}


class FakePagerDuty:
    def __init__(self, ca_file: Path) -> None:
        self._lock = threading.Lock()
        self._account = Account()
        self.routing_keys = {ROUTING_KEY}
        self.faults = Faults(self._lock)
        self.calls: list[Call] = []
        self._context = server_context(ca_file)
        self.ca_file = ca_file
        self._server: FakeHttpServer | None = None
        # While cleared, answers to events wait after their effect (see hold_answers).
        self._answering = threading.Event()
        self._answering.set()

    def start(self) -> FakePagerDuty:
        if self._server is None:
            self._server = FakeHttpServer(self.handle, "pagerduty", tls=self._context)
            self._server.start_in_thread()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> FakePagerDuty:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakePagerDuty is not started; call start() first")
        return self._server.base_url

    def hold_answers(self) -> None:
        """Events take effect but their answers wait until `release_answers` (at most 60 s): a
        worker can be killed between PagerDuty's effect and its answer."""
        self._answering.clear()

    def release_answers(self) -> None:
        self._answering.set()

    def reset(self) -> None:
        self._answering.set()
        self.faults.clear()
        with self._lock:
            self._account = Account()
            self.routing_keys = {ROUTING_KEY}
            self.calls.clear()

    # seeding --------------------------------------------------------------------
    def add_user(self, user_id: str, name: str, email: str) -> None:
        with self._lock:
            self._account.users[user_id] = User(user_id, name, email)

    def put_on_call(self, user_id: str, escalation_policy_id: str, level: int = 1) -> None:
        with self._lock:
            self._account.oncalls.append(OnCall(user_id, escalation_policy_id, level))

    # inspection -----------------------------------------------------------------
    def alerts(self, dedup_key: str | None = None) -> list[Alert]:
        with self._lock:
            return [
                copy.deepcopy(alert)
                for alert in self._account.alerts
                if dedup_key is None or alert.dedup_key == dedup_key
            ]

    def enqueued(self) -> list[Call]:
        """Every event request, whatever became of it."""
        with self._lock:
            return [call for call in self.calls if call.method == ENQUEUE]

    # the HTTP side --------------------------------------------------------------
    def handle(self, request: Request) -> Outcome:
        method, path, body = request.verb, request.path, request.body
        query = parse_qs(request.query)
        auth = request.headers.get("authorization", "")
        name = ENQUEUE if path == "/v2/enqueue" else path.strip("/").split("/")[0]
        try:
            args: Any = json.loads(body) if body else dict(query)
        except ValueError:
            return Outcome.json(
                {
                    "status": "invalid event",
                    "message": "Event object is invalid",
                    "errors": ["Malformed JSON"],
                },
                400,
            )
        delay, rule = self.faults.match(name, args if isinstance(args, dict) else {})
        if delay > 0:
            time.sleep(delay)
        if rule is not None and rule.kind != "drop_after_effect":
            return self._fault(name, args, rule)
        status, response = self._execute(method, name, path, query, args, auth)
        if name == ENQUEUE:
            self._answering.wait(timeout=60)
        if rule is not None:  # the effect happened, the answer is lost
            self._record(name, args, 0, response, rule.kind)
            return Outcome(drop=True)
        self._record(name, args, status, response, None)
        return Outcome.json(response, status)

    def _execute(
        self, method: str, name: str, path: str, query: dict[str, list[str]], args: Any, auth: str
    ) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if name == ENQUEUE and method == "POST":
                return events.enqueue(self._account, self.routing_keys, args)
            if method != "GET":
                return 405, {"error": {"message": "Method Not Allowed", "code": 2000}}
            if auth != f"Token token={API_TOKEN}":
                return 401, {"error": {"message": "Authentication Required", "code": 2006}}
            return rest.get(self.base_url, self._account, path, query)

    def _fault(self, name: str, args: Any, rule: FaultRule) -> Outcome:
        if rule.kind == "outage":
            self._record(name, args, 0, None, rule.kind)
            return Outcome(drop=True)
        if rule.kind == "ratelimited":
            self._record(name, args, 429, THROTTLED, rule.kind)
            return Outcome.json(THROTTLED, 429)
        body = {"status": "error", "message": rule.error}
        status = rule.status if rule.kind == "http_error" else 400
        self._record(name, args, status, body, rule.kind)
        return Outcome.json(body, status)

    def _record(
        self, name: str, args: Any, status: int, response: dict[str, Any] | None, fault: str | None
    ) -> None:
        with self._lock:
            self.calls.append(
                Call(name, copy.deepcopy(args), status, copy.deepcopy(response), fault)
            )
