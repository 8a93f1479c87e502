"""`POST /v2/enqueue`: the Events API v2 as PagerDuty documents it.

A trigger opens an alert, or adds to the open one with the same dedup key; resolve and
acknowledge apply to the open alert and are dropped when there is none; after resolve, a trigger
with the key opens a new alert. Keys match only within one routing key. Answers: 202 with the
dedup key, 400 for an invalid event (a wrong routing key among them).
"""

from __future__ import annotations

import uuid
from typing import Any

from .state import Account, Alert

SEVERITIES = {"critical", "error", "warning", "info"}
ACTIONS = {"trigger", "acknowledge", "resolve"}
DEDUP_KEY_MAX = 255
SUMMARY_MAX = 1024


def enqueue(account: Account, routing_keys: set[str], event: Any) -> tuple[int, dict[str, Any]]:
    errors = _invalid(routing_keys, event)
    if errors:
        return 400, {
            "status": "invalid event",
            "message": "Event object is invalid",
            "errors": errors,
        }
    action = event["event_action"]
    dedup_key = event.get("dedup_key") or uuid.uuid4().hex
    alert = account.open_alert(event["routing_key"], dedup_key)
    if action == "trigger":
        if alert is None:
            alert = Alert(account.next_id("Q"), event["routing_key"], dedup_key, "triggered")
            account.alerts.append(alert)
        alert.events.append(event)
    elif alert is not None:
        alert.status = "resolved" if action == "resolve" else "acknowledged"
        alert.events.append(event)
    return 202, {"status": "success", "message": "Event processed", "dedup_key": dedup_key}


def _invalid(routing_keys: set[str], event: Any) -> list[str]:
    if not isinstance(event, dict):
        return ["Event must be a JSON object"]
    key = event.get("routing_key")
    if not isinstance(key, str) or len(key) != 32:
        return ["Length of 'routing_key' is incorrect (should be 32 characters)"]
    if key not in routing_keys:
        return ["Invalid routing key"]
    action = event.get("event_action")
    if action not in ACTIONS:
        return ["'event_action' is invalid (must be one of: trigger, acknowledge, resolve)"]
    dedup_key = event.get("dedup_key")
    if dedup_key is not None and (not isinstance(dedup_key, str) or len(dedup_key) > 255):
        return [f"'dedup_key' must be a string of at most {DEDUP_KEY_MAX} characters"]
    if action != "trigger":
        return [] if dedup_key else ["'dedup_key' is required for acknowledge and resolve"]
    payload = event.get("payload")
    if not isinstance(payload, dict):
        return ["'payload' is missing or not an object"]
    errors = [
        f"'payload.{name}' is missing" for name in ("summary", "source") if not payload.get(name)
    ]
    if len(str(payload.get("summary", ""))) > SUMMARY_MAX:
        errors.append(f"'payload.summary' is longer than {SUMMARY_MAX} characters")
    if payload.get("severity") not in SEVERITIES:
        errors.append(
            "'payload.severity' is invalid (must be one of: critical, error, warning, info)"
        )
    return errors
