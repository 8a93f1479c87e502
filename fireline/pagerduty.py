"""The PagerDuty clients, built from the settings with their own retries switched off.

The `pagerduty` package retries a 429 without limit, some 5xx a few times and dropped connections
three times, sleeping in between (`ApiClient.request`). Inside an activity that would hold the
attempt past its start-to-close timeout and hide the failure from Temporal, so every client here
makes exactly one request per call and returns or raises at once: Temporal owns the retries.
"""

from __future__ import annotations

from httpx2 import Timeout
from pagerduty import ApiClient, EventsApiV2Client, RestApiV2Client

from fireline.models import PagingPlan
from fireline.settings import Settings

# One HTTP request's limits; their sum stays well inside the paging activities' start-to-close
# (workflows/activity_options.py PAGING: 15 s).
CALL_TIMEOUT = Timeout(connect=3.0, read=5.0, write=3.0, pool=2.0)


def _one_request_per_call(client: ApiClient) -> None:
    # A status listed in `retry` is returned as it is once the attempts made (none) exceed
    # `max_http_attempts`; -1 makes that so at the first answer, with no sleep.
    client.retry = {429: 1, 500: 1, 502: 1, 503: 1, 504: 1}
    client.max_http_attempts = -1
    # A network error is raised at once instead of being tried again after a sleep.
    client.max_network_attempts = 0
    client.sleep_timer = 0
    client.timeout = CALL_TIMEOUT  # type: ignore[assignment]  # httpx takes a Timeout too


def paging_plan(settings: Settings) -> PagingPlan:
    """What the clients below can do, for the incidents declared now."""
    return PagingPlan(events=_events_on(settings), oncall=_oncall_on(settings))


def _events_on(settings: Settings) -> bool:
    return settings.pagerduty_routing_key is not None


def _oncall_on(settings: Settings) -> bool:
    return settings.pagerduty_api_token is not None and bool(
        settings.pagerduty_escalation_policy_ids
    )


def events_client(settings: Settings) -> EventsApiV2Client | None:
    """The Events API v2 client, or None when PAGERDUTY_ROUTING_KEY is unset (paging off)."""
    if settings.pagerduty_routing_key is None:
        return None
    client = EventsApiV2Client(
        settings.pagerduty_routing_key.get_secret_value(),
        base_url=str(settings.pagerduty_events_url).rstrip("/"),
    )
    _one_request_per_call(client)
    return client


def rest_client(settings: Settings) -> RestApiV2Client | None:
    """The REST API v2 client for the on-call lookup, or None when it is not configured
    (PAGERDUTY_API_TOKEN and PAGERDUTY_ESCALATION_POLICY_IDS are both needed)."""
    if settings.pagerduty_api_token is None or not _oncall_on(settings):
        return None
    client = RestApiV2Client(
        settings.pagerduty_api_token.get_secret_value(),
        base_url=str(settings.pagerduty_api_url).rstrip("/"),
    )
    _one_request_per_call(client)
    return client
