"""Fireline's own metrics, through the OpenTelemetry metrics API.

Instruments are made on the global meter: a process without a meter provider records nothing
(the API's no-op), a process that started telemetry (fireline.telemetry.start) exposes them on its
`/metrics`. Labels never carry an incident's title, text or people: only severities, statuses,
step, method and error names. Steps given up and reminders are counted inside the workflow
(fireline.telemetry.workflow_metrics), through Temporal's replay-safe meter.
"""

from __future__ import annotations

from collections.abc import Iterable

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

_meter = metrics.get_meter("fireline")

INCIDENTS_DECLARED = _meter.create_counter(
    "fireline_incidents_declared",
    description="Incidents whose workflow the bot started, by severity and private or not",
)
DECLARATIONS_FAILED = _meter.create_counter(
    "fireline_declarations_failed",
    description="Declarations the bot gave up starting (the reporter got what they typed back)",
)
SLACK_API_ERRORS = _meter.create_counter(
    "fireline_slack_api_errors",
    description="Slack Web API calls that failed, by method and Slack's error code",
)
SLACK_RATE_LIMITED = _meter.create_counter(
    "fireline_slack_rate_limited",
    description="Slack Web API calls answered 429 (rate limited), by method",
)
ACK_LATENCY = _meter.create_histogram(
    "fireline_slack_ack_duration_seconds",
    unit="s",
    description="From a Slack request's arrival to the bot's answer, by kind of request",
    explicit_bucket_boundaries_advisory=[0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0],
)
CHANNEL_READY = _meter.create_histogram(
    "fireline_declaration_channel_ready_seconds",
    unit="s",
    description="From an incident's declaration to its Slack channel existing",
    explicit_bucket_boundaries_advisory=[0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0],
)

# (severity, status) -> how many running incidents; refreshed by the worker (open_incidents.py).
_open: dict[tuple[str, str], int] = {}


def set_open_incidents(counts: dict[tuple[str, str], int]) -> None:
    """The latest count of open incidents; a pair no longer open reads 0, so alerts see it end."""
    for key in _open:
        _open[key] = 0
    _open.update(counts)


def observe_open(_: CallbackOptions) -> Iterable[Observation]:
    return [
        Observation(count, {"severity": severity, "status": status})
        for (severity, status), count in sorted(_open.items())
    ]


_meter.create_observable_gauge(
    "fireline_open_incidents",
    callbacks=[observe_open],
    description="Incidents open now, by severity and status (from Temporal's visibility)",
)
