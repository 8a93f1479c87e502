"""The bot's side of a declaration in traces and metrics: a span per attempt to start the
incident (inside the Slack request's trace, which the start carries on to the workflow), and the
declared and failed counts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import trace

from fireline.models import Declaration
from fireline.telemetry.logs import current_incident
from fireline.telemetry.metrics import DECLARATIONS_FAILED, INCIDENTS_DECLARED
from fireline.telemetry.tracing import INCIDENT_ID, INCIDENT_NUMBER

_tracer = trace.get_tracer("fireline.bot")


@contextmanager
def attempt(incident_id: str) -> Iterator[None]:
    token = current_incident.set(incident_id)
    try:
        with _tracer.start_as_current_span(
            "declare incident", attributes={INCIDENT_ID: incident_id}
        ):
            yield
    finally:
        current_incident.reset(token)


def numbered(number: int) -> None:
    trace.get_current_span().set_attribute(INCIDENT_NUMBER, number)


def declared(declaration: Declaration) -> None:
    INCIDENTS_DECLARED.add(
        1, {"severity": declaration.severity, "private": str(declaration.private).lower()}
    )


def failed(reason: str) -> None:
    DECLARATIONS_FAILED.add(1, {"reason": reason})
