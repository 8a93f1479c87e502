"""What the fake PagerDuty holds: alerts per routing key and dedup key, users and on-call
entries. Plain data; the fake's lock guards it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Alert:
    """One alert. Events with its dedup key add to it while it is open (triggered or
    acknowledged); once resolved, a trigger with that key opens a new alert."""

    id: str
    routing_key: str
    dedup_key: str
    status: str  # triggered, acknowledged, resolved
    # The event bodies that applied to it, oldest first (the first one opened it).
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.status != "resolved"

    @property
    def summary(self) -> str:
        return str(self.events[0]["payload"]["summary"])


@dataclass
class User:
    id: str
    name: str
    email: str


@dataclass
class OnCall:
    user_id: str
    escalation_policy_id: str
    escalation_level: int = 1


@dataclass
class Account:
    alerts: list[Alert] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)
    oncalls: list[OnCall] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"

    def open_alert(self, routing_key: str, dedup_key: str) -> Alert | None:
        return next(
            (
                alert
                for alert in self.alerts
                if alert.open and alert.routing_key == routing_key and alert.dedup_key == dedup_key
            ),
            None,
        )
