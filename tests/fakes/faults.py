"""Fault injection rules, shared by every fake (Slack, Notion, Jira, Confluence).

A rule names the operation it affects (a Slack method such as ``chat.postMessage``, a REST fake's
operation such as ``pages.create``, or ``*``); each fake renders an affected request in its
vendor's own shapes (status, error body, ``Retry-After``).

Rules are matched in the order they were added. ``latency`` rules add a delay before the effect
(a client that hangs up meanwhile gets nothing done) and matching continues; the first other
matching rule decides the outcome.
``times`` counts how many requests a rule may still affect (None: until removed);
``when`` is a predicate on the request's normalised args.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

FaultKind = Literal["http_error", "ratelimited", "error", "drop_after_effect", "latency", "outage"]
KINDS: frozenset[str] = frozenset(
    {"http_error", "ratelimited", "error", "drop_after_effect", "latency", "outage"}
)
Predicate = Callable[[dict[str, Any]], bool]


@dataclass(eq=False)
class FaultRule:
    method: str  # the fake's operation name, or "*" for every request
    kind: FaultKind
    status: int = 500
    retry_after: int = 1
    # The vendor's error code for kind "error" (None: the fake's usual one for `status`).
    error: str | None = None
    seconds: float = 0.0
    times: int | None = None
    when: Predicate | None = None
    hits: int = field(default=0, init=False)

    def matches(self, method: str, args: dict[str, Any]) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.method not in ("*", method):
            return False
        return self.when is None or bool(self.when(args))

    def consume(self) -> None:
        self.hits += 1
        if self.times is not None:
            self.times -= 1


class Faults:
    """A fake's fault table (``fake.faults``); safe to change while requests run."""

    def __init__(self, lock: threading.Lock) -> None:
        self._lock = lock
        self._rules: list[FaultRule] = []

    def add(
        self,
        method: str,
        *,
        kind: FaultKind,
        status: int = 500,
        retry_after: int = 1,
        error: str | None = None,
        seconds: float = 0.0,
        times: int | None = None,
        when: Predicate | None = None,
    ) -> FaultRule:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(KINDS)}")
        rule = FaultRule(method, kind, status, retry_after, error, seconds, times, when)
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove(self, rule: FaultRule) -> None:
        with self._lock:
            if rule in self._rules:
                self._rules.remove(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def match(self, method: str, args: dict[str, Any]) -> tuple[float, FaultRule | None]:
        """(total latency to add, the deciding rule or None); consumes matched rules.

        Predicates run outside the lock, so a ``when`` callable may inspect the fake.
        """
        delay = 0.0
        for rule in self.rules:
            if not rule.matches(method, args):
                continue
            with self._lock:
                if rule not in self._rules or (rule.times is not None and rule.times <= 0):
                    continue
                rule.consume()
            if rule.kind == "latency":
                delay += rule.seconds
                continue
            return delay, rule
        return delay, None
