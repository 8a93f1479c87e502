"""Slack Web API errors on the span of the work that met them, and in the error counts.

Every method of slack_sdk's client goes through `api_call`, so one override sees every failed
call, whether or not the caller then classifies it (activities.slack_errors).
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from fireline.telemetry.metrics import SLACK_API_ERRORS, SLACK_RATE_LIMITED


def error_code(err: SlackApiError) -> str:
    """Slack's error code (`ratelimited`, `channel_not_found`, ...), or `http_<status>`."""
    data = err.response.data if isinstance(err.response.data, dict) else {}
    return str(data.get("error", f"http_{err.response.status_code}"))


def record_error(method: str, err: SlackApiError) -> None:
    code = error_code(err)
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attribute("slack.error", code)
        span.add_event("slack.error", {"slack.method": method, "slack.error": code})
    SLACK_API_ERRORS.add(1, {"method": method, "error": code})
    if err.response.status_code == 429:
        SLACK_RATE_LIMITED.add(1, {"method": method})


class ObservedWebClient(AsyncWebClient):
    """slack_sdk's client, recording each failed call."""

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        try:
            return await super().api_call(api_method, **kwargs)
        except SlackApiError as err:
            record_error(api_method, err)
            raise
