"""What the JSON REST fakes (Notion, Jira, Confluence) share: routing, authentication, the fault
table applied the same way as the Slack fake's, the call log and the server's lifecycle.

A fake subclasses RestFake, lists its routes (verb, path pattern, operation name, handler) and says
how its vendor answers an error (``error_outcome``). Handlers run under the fake's lock, take the
path's named groups and the parsed request, and return (status, JSON) or raise RestError.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl

from .faults import FaultRule, Faults
from .http import FakeHttpServer, Outcome, Request


class RestError(Exception):
    """The vendor refuses the request: ``status`` with its error ``code`` and ``message``."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


@dataclass(frozen=True)
class Call:
    """One request the fake received. status 0 means the connection was dropped."""

    operation: str
    verb: str
    path: str
    query: dict[str, str]
    body: Any
    status: int
    response: Any
    fault: str | None = None


@dataclass(frozen=True)
class Incoming:
    """A request as handlers and fault predicates see it."""

    verb: str
    path: str
    query: dict[str, str]
    body: Any


Handler = Callable[[dict[str, str], Incoming], tuple[int, Any]]


@dataclass(frozen=True)
class Route:
    verb: str
    pattern: re.Pattern[str]
    operation: str
    handler: Handler


def route(verb: str, path: str, operation: str, handler: Handler) -> Route:
    """A route; ``{name}`` in ``path`` matches one path segment, passed to the handler."""
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
    return Route(verb, re.compile(f"^{regex}$"), operation, handler)


class RestFake:
    """A stateful JSON REST API on 127.0.0.1 for a vendor's real client library."""

    name = "rest"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.faults = Faults(self.lock)
        self._calls: list[Call] = []
        self._server: FakeHttpServer | None = None

    # what a vendor fake provides ------------------------------------------------------
    def routes(self) -> list[Route]:
        raise NotImplementedError

    def authorized(self, headers: dict[str, str]) -> bool:
        raise NotImplementedError

    def error_outcome(self, error: RestError, headers: dict[str, str] | None = None) -> Outcome:
        raise NotImplementedError

    def not_found(self, request: Request) -> RestError:
        return RestError(404, "not_found", f"no route for {request.verb} {request.path}")

    def unauthorized(self) -> RestError:
        return RestError(401, "unauthorized", "authentication failed")

    def server_error(self, status: int) -> Outcome:
        """An injected 5xx: most vendors' front ends answer these with an HTML page."""
        return Outcome.html(f"<html><body><h1>{status} Server Error</h1></body></html>", status)

    def reset_state(self) -> None:
        raise NotImplementedError

    # lifecycle --------------------------------------------------------------------------
    def start(self) -> Self:
        if self._server is None:
            self._routes = self.routes()
            self._server = FakeHttpServer(self.respond, self.name)
            self._server.start_in_thread()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Self:
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
            raise RuntimeError(f"the {self.name} fake is not started; call start() first")
        return self._server.base_url

    def reset(self) -> None:
        """Empty again: state, faults and call log."""
        self.faults.clear()
        with self.lock:
            self._calls.clear()
            self.reset_state()

    def calls(self, operation: str | None = None) -> list[Call]:
        with self.lock:
            return [c for c in self._calls if operation is None or c.operation == operation]

    # one request --------------------------------------------------------------------------
    def respond(self, request: Request) -> Outcome:
        found = self._match(request)
        if found is None:
            return self.error_outcome(self.not_found(request))
        target, params = found
        try:
            incoming = Incoming(
                request.verb,
                request.path,
                dict(parse_qsl(request.query, keep_blank_values=True)),
                json.loads(request.body) if request.body.strip() else None,
            )
        except ValueError:
            return self.error_outcome(RestError(400, "invalid_json", "body is not valid JSON"))
        args = {"path": request.path, "query": incoming.query, "body": incoming.body, **params}
        delay, rule = self.faults.match(target.operation, args)
        if delay > 0:
            time.sleep(delay)
            # Latency comes before the effect; a request whose client gave up meanwhile is
            # dropped undone, as a front end drops work for a closed connection.
            if request.client_gone():
                self._record(target.operation, incoming, 0, None, "client_gone")
                return Outcome(drop=True)
        if rule is not None and rule.kind != "drop_after_effect":
            return self._fault(target.operation, incoming, rule)
        if not self.authorized(request.headers):
            status, response, outcome = self._refusal(self.unauthorized())
        else:
            status, response, outcome = self._execute(target, params, incoming)
        if rule is not None:  # drop_after_effect: the effect happened, the answer is lost
            self._record(target.operation, incoming, 0, response, rule.kind)
            return Outcome(drop=True)
        self._record(target.operation, incoming, status, response)
        return outcome

    def _match(self, request: Request) -> tuple[Route, dict[str, str]] | None:
        for candidate in self._routes:
            if candidate.verb != request.verb:
                continue
            matched = candidate.pattern.match(request.path)
            if matched:
                return candidate, matched.groupdict()
        return None

    def _execute(
        self, target: Route, params: dict[str, str], incoming: Incoming
    ) -> tuple[int, Any, Outcome]:
        with self.lock:
            try:
                status, response = target.handler(params, incoming)
            except RestError as err:
                return self._refusal(err)
            except Exception as exc:  # a bug in the fake: answer loudly, never drop
                traceback.print_exc()
                return 500, repr(exc), Outcome.json({"fake_bug": repr(exc)}, 500)
        if status == 204:
            return status, None, Outcome(204)
        return status, copy.deepcopy(response), Outcome.json(response, status)

    def _refusal(self, err: RestError) -> tuple[int, Any, Outcome]:
        outcome = self.error_outcome(err)
        return err.status, json.loads(outcome.body or b"null"), outcome

    def _fault(self, operation: str, incoming: Incoming, rule: FaultRule) -> Outcome:
        if rule.kind == "outage":
            self._record(operation, incoming, 0, None, rule.kind)
            return Outcome(drop=True)
        if rule.kind == "http_error":
            self._record(operation, incoming, rule.status, None, rule.kind)
            return self.server_error(rule.status)
        if rule.kind == "ratelimited":
            err = RestError(429, "rate_limited", "rate limited")
            outcome = self.error_outcome(err, {"Retry-After": str(rule.retry_after)})
        else:
            err = RestError(rule.status, rule.error or "refused", rule.error or "refused")
            outcome = self.error_outcome(err)
        self._record(operation, incoming, outcome.status, None, rule.kind)
        return outcome

    def _record(
        self,
        operation: str,
        incoming: Incoming,
        status: int,
        response: Any,
        fault: str | None = None,
    ) -> None:
        call = Call(
            operation,
            incoming.verb,
            incoming.path,
            dict(incoming.query),
            copy.deepcopy(incoming.body),
            status,
            copy.deepcopy(response),
            fault,
        )
        with self.lock:
            self._calls.append(call)


def basic_auth(headers: dict[str, str]) -> tuple[str, str] | None:
    """The (username, password) of an ``Authorization: Basic`` header."""
    auth = headers.get("authorization", "")
    if not auth.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
    except ValueError:
        return None
    return user, password


def page_size(query: dict[str, str], name: str, default: int, most: int) -> int:
    """A page-size parameter, capped as the vendor caps it."""
    try:
        return max(1, min(int(query.get(name, default)), most))
    except ValueError:
        raise RestError(400, "validation_error", f"{name} must be a number") from None
