"""How a Notion, Confluence or Jira error maps onto Temporal's retries: one place for all three.

Three outcomes. Transient (5xx, a timeout, a dropped connection, a version conflict): raised as
it is, Temporal retries with backoff. Rate limited (429, or a 503 that says when): retried after
the vendor's Retry-After. Refused (401, 403, 404, 400: a token, a permission, a database or project
that is wrong): only an admin can fix it, so the attempt fails for good with what to fix, the
workflow says it once in the channel and tries again on a long durable timer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import NoReturn

import requests
from atlassian.errors import ApiError
from notion_client.errors import APIResponseError, HTTPResponseError
from temporalio.exceptions import ApplicationError

# A refusal: the workflow reports it and retries on its own timer (workflows/activity_options.py).
REFUSED = "IntegrationRefused"
RATE_LIMITED = "IntegrationRateLimited"
_REFUSALS = {400, 401, 403, 404, 410}
_MOST_RETRY_AFTER = timedelta(minutes=10)


def retry_after(headers: Mapping[str, str]) -> timedelta | None:
    value = {name.lower(): v for name, v in headers.items()}.get("retry-after", "")
    if not value.strip().isdigit():
        return None
    return min(timedelta(seconds=max(int(value), 1)), _MOST_RETRY_AFTER)


def _fail(
    system: str, status: int, detail: str, headers: Mapping[str, str], err: Exception
) -> NoReturn:
    wait = retry_after(headers)
    if status == 429 or (status == 503 and wait is not None):
        raise ApplicationError(
            f"{system} rate limited the call",
            type=RATE_LIMITED,
            next_retry_delay=wait or timedelta(seconds=5),
        ) from err
    if status in _REFUSALS:
        raise ApplicationError(
            f"{system} refused ({status}): {detail}", type=REFUSED, non_retryable=True
        ) from err
    raise err


def notion_failure(err: Exception, what: str) -> NoReturn:
    """Re-raise a Notion client error as what Temporal should do with it; `what` names the
    object (the postmortem database) an admin would fix."""
    if isinstance(err, APIResponseError | HTTPResponseError):
        detail = f"{err} (check NOTION_TOKEN and that {what} is shared with the integration)"
        _fail("Notion", err.status, detail, dict(err.headers), err)
    raise err


def atlassian_failure(err: Exception, system: str, what: str) -> NoReturn:
    """Re-raise a Jira or Confluence (requests) error as what Temporal should do with it."""
    if isinstance(err, ApiError) and isinstance(err.reason, requests.HTTPError):
        err = err.reason
    response = err.response if isinstance(err, requests.HTTPError) else None
    if response is not None:
        detail = f"{str(err).strip() or response.reason} (check {what})"
        _fail(system, response.status_code, detail, dict(response.headers), err)
    raise err
