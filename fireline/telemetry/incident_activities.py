"""Which incident an activity works for, on its span and in its metrics.

The workflow side adds the incident's number (from its search attributes, which follow a
renumbering) to every activity it schedules, in a header of its own; the activity side puts the
incident id and number on the activity's span (TracingInterceptor's, around this one) and records
how long after the declaration the incident's channel came to exist. A header changes no command
an incident's history records, so this replays like before.
"""

from __future__ import annotations

import time
from typing import Any

from opentelemetry import trace
from temporalio import activity, workflow
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadConverter
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    StartActivityInput,
    StartLocalActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

from fireline import search_attributes
from fireline.telemetry.metrics import CHANNEL_READY
from fireline.telemetry.tracing import INCIDENT_ID, INCIDENT_NUMBER

HEADER = "fireline-incident"
CREATE_CHANNEL = "create_incident_channel"


class IncidentInterceptor(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ActivityInbound(next)

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        return _WorkflowInbound


class _WorkflowInbound(WorkflowInboundInterceptor):
    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        super().init(_WorkflowOutbound(outbound))


class _WorkflowOutbound(WorkflowOutboundInterceptor):
    def start_activity(self, input: StartActivityInput) -> workflow.ActivityHandle[Any]:
        input.headers = _with_incident(input.headers)
        return super().start_activity(input)

    def start_local_activity(self, input: StartLocalActivityInput) -> workflow.ActivityHandle[Any]:
        input.headers = _with_incident(input.headers)
        return super().start_local_activity(input)


def _with_incident(headers: Any) -> Any:
    number = workflow.info().typed_search_attributes.get(search_attributes.INCIDENT_NUMBER)
    if number is None:
        return headers
    return {**headers, HEADER: PayloadConverter.default.to_payload({"number": number})}


class _ActivityInbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        span = trace.get_current_span()
        if span.is_recording():
            span.set_attribute(INCIDENT_ID, info.workflow_id or "")
            number = _number(input.headers.get(HEADER))
            if number is not None:
                span.set_attribute(INCIDENT_NUMBER, number)
        result = await super().execute_activity(input)
        if info.activity_type == CREATE_CHANNEL and input.args:
            declared = input.args[0].not_before.timestamp()
            CHANNEL_READY.record(max(time.time() - declared, 0.0))
        return result


def _number(header: Payload | None) -> int | None:
    if header is None:
        return None
    value = PayloadConverter.default.from_payload(header)
    return int(value["number"]) if isinstance(value, dict) and "number" in value else None
