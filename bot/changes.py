"""Sending a change to an incident's workflow, once per Slack action.

The signal is sent with the Slack action's id (trigger id, view id) as Temporal's request id:
Temporal records one signal per request id, so a redelivered or double-submitted request adds
nothing to the incident's history. The change carries the same id as `request_id`, which the
workflow checks too (operators' signals and continued-as-new runs are not covered by Temporal's).
The SDK's `handle.signal` picks a random request id, hence the service call; the tracing
interceptor does not see it, so the call carries the trace context itself, in the interceptor's
header.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from temporalio.api.common.v1 import Header, Payloads, WorkflowExecution
from temporalio.api.workflowservice.v1 import SignalWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from bot.incident_lookup import NamedIncident
from bot.refusal import UNREACHABLE, Refused
from fireline.signals import Change
from fireline.telemetry.tracing import signal_span

log = logging.getLogger(__name__)

SIGNAL_TIMEOUT = 1.0


async def send_change(
    temporal: Client, incident: NamedIncident, signal: str, change: Change
) -> None:
    """Signal the incident; Refused when it has ended or Temporal cannot take the signal."""
    with signal_span(signal, incident.incident_id, incident.number) as header:
        await _signal(temporal, incident, signal, change, header)


async def _signal(
    temporal: Client,
    incident: NamedIncident,
    signal: str,
    change: Change,
    header: Header | None,
) -> None:
    request = SignalWorkflowExecutionRequest(
        namespace=temporal.namespace,
        workflow_execution=WorkflowExecution(workflow_id=incident.incident_id),
        signal_name=signal,
        input=Payloads(payloads=await temporal.data_converter.encode([change])),
        identity=temporal.identity,
        request_id=change.request_id or str(uuid.uuid4()),
        header=header,
    )
    try:
        async with asyncio.timeout(SIGNAL_TIMEOUT):
            await temporal.workflow_service.signal_workflow_execution(request, retry=True)
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:  # the workflow has completed
            raise Refused(f"{incident.reference} is over; it cannot change.") from err
        log.warning("could not signal %s to %s: %s", signal, incident.incident_id, err)
        raise Refused(UNREACHABLE) from err
    except (TimeoutError, RuntimeError) as err:
        log.warning("could not signal %s to %s: %s", signal, incident.incident_id, err)
        raise Refused(UNREACHABLE) from err
