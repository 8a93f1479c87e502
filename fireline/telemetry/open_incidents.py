"""The open-incidents gauge, counted from Temporal's visibility (the source of truth while an
incident is open) every REFRESH_SECONDS by the worker, over its own task queue (one per
deployment)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

from opentelemetry.instrumentation.utils import suppress_instrumentation
from temporalio.client import Client
from temporalio.service import RPCError

from fireline import search_attributes
from fireline.telemetry.metrics import set_open_incidents

log = logging.getLogger(__name__)

REFRESH_SECONDS = 30.0
OPEN = "WorkflowType = 'IncidentWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = '{}'"


async def count_open(client: Client, task_queue: str) -> dict[tuple[str, str], int]:
    counts: Counter[tuple[str, str]] = Counter()
    async for execution in client.list_workflows(OPEN.format(task_queue)):
        found = execution.typed_search_attributes
        severity = found.get(search_attributes.INCIDENT_SEVERITY) or "unknown"
        status = found.get(search_attributes.INCIDENT_STATUS) or "unknown"
        counts[(severity, status)] += 1
    return dict(counts)


async def keep_counting(client: Client, task_queue: str) -> None:
    """Runs until cancelled; a failed count keeps the last one (the SDK's metrics show why)."""
    while True:
        try:
            with suppress_instrumentation():
                set_open_incidents(await count_open(client, task_queue))
        except (RPCError, RuntimeError) as err:
            log.warning("could not count open incidents: %s", err)
        await asyncio.sleep(REFRESH_SECONDS)
