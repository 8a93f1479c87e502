"""How a PagerDuty failure maps onto Temporal's retries: one place, so every activity agrees.

A refusal that no retry can fix (a wrong routing key or token, an invalid event) fails the
activity for good with what to fix; a 429, a 5xx, a timeout or a lost answer is retried by
Temporal, which is safe because every event about an incident carries its dedup key.
"""

from __future__ import annotations

from datetime import timedelta
from typing import NoReturn

from pagerduty import Error
from temporalio.exceptions import ApplicationError

REFUSED = "PagerDutyRefused"
RATE_LIMITED = "PagerDutyRateLimited"

# What to fix, by the setting each API depends on.
_FIX = {
    "events": "check PAGERDUTY_ROUTING_KEY (the Events API v2 integration key of the service)",
    "rest": "check PAGERDUTY_API_TOKEN and PAGERDUTY_ESCALATION_POLICY_IDS",
}


def fail(err: Error, api: str) -> NoReturn:
    """Raise what Temporal should do about `err`, met calling PagerDuty's `api` (events, rest)."""
    response = err.response
    if response is None or response.status_code >= 500:
        raise err  # no answer, or PagerDuty's own trouble: retried
    status = response.status_code
    if status == 429:
        after = response.headers.get("retry-after", "")
        raise ApplicationError(
            "PagerDuty rate limited the call",
            type=RATE_LIMITED,
            next_retry_delay=timedelta(seconds=int(after)) if after.isdigit() else None,
        ) from err
    raise ApplicationError(
        f"PagerDuty answered {status} ({_reason(err)}): {_FIX[api]}",
        type=REFUSED,
        non_retryable=True,
    ) from err


def _reason(err: Error) -> str:
    """PagerDuty's own words: the Events API's `errors`, the REST API's `error.message`."""
    assert err.response is not None
    try:
        body = err.response.json()
    except ValueError:
        return str(err.response.reason_phrase)
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            return "; ".join(str(error) for error in errors)[:300]
        detail = body.get("error")
        if isinstance(detail, dict) and detail.get("message"):
            return str(detail["message"])[:300]
        if body.get("message"):
            return str(body["message"])[:300]
    return str(err.response.reason_phrase)
