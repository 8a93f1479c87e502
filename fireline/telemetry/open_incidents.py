"""The open-incidents gauge, counted from Temporal's visibility (the source of truth while an
incident is open) every REFRESH_SECONDS by the worker, over its own task queue (one per
deployment).

Counted, never listed: listing returned every open incident with its search attributes, which at
10,000 open incidents took a fifth of the worker's CPU while their reminders fell due. The
visibility store groups counts by execution status only, so each (severity, status) pair is a count
of its own: per status first, then per level of the policy for the statuses some incident has. An
incident whose level the policy no longer names counts under severity "unknown", and one without a
status yet under ("unknown", "unknown"). The worker reads the levels from SEVERITY_POLICY_FILE when
it can; a deployment that mounts the file into the bot only counts by the built-in levels.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from opentelemetry.instrumentation.utils import suppress_instrumentation
from temporalio.client import Client
from temporalio.service import RPCError

from fireline import search_attributes
from fireline.models import IncidentStatus
from fireline.policy import PolicyError, load_policy
from fireline.telemetry.metrics import set_open_incidents

log = logging.getLogger(__name__)

REFRESH_SECONDS = 30.0
OPEN = "WorkflowType = 'IncidentWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = '{}'"
UNKNOWN = "unknown"


def levels_to_count(policy_file: Path | None) -> list[str]:
    """The severity names the gauge counts by: the policy's, or the built-in ones when the
    worker cannot read it (the gauge never stops a worker from starting)."""
    try:
        policy = load_policy(policy_file)
    except PolicyError as err:
        log.warning("open-incidents gauge: %s; counting by the built-in levels", err)
        policy = load_policy()
    return [level.name for level in policy.levels]


async def count_open(
    client: Client, task_queue: str, levels: Sequence[str]
) -> dict[tuple[str, str], int]:
    """Open incidents by (severity, status); `levels` are the severity names to count by."""
    open_here = OPEN.format(task_queue)

    async def count(*conditions: str) -> int:
        query = " AND ".join([open_here, *conditions])
        return (await client.count_workflows(query)).count

    def equals(key: str, value: str) -> str:
        return f"{key} = '{value}'"

    status_key, severity_key = (
        search_attributes.INCIDENT_STATUS.name,
        search_attributes.INCIDENT_SEVERITY.name,
    )
    statuses = [status.value for status in IncidentStatus]
    total, *per_status = await asyncio.gather(
        count(), *(count(equals(status_key, status)) for status in statuses)
    )
    counts: dict[tuple[str, str], int] = {}
    for status, in_status in zip(statuses, per_status, strict=True):
        if not in_status:
            continue
        per_level = await asyncio.gather(
            *(count(equals(status_key, status), equals(severity_key, level)) for level in levels)
        )
        counts.update({(level, status): n for level, n in zip(levels, per_level, strict=True) if n})
        # Each count is its own query: a change landing between two can make a difference < 0.
        if (unnamed := in_status - sum(per_level)) > 0:
            counts[(UNKNOWN, status)] = unnamed
    if (without_status := total - sum(per_status)) > 0:
        counts[(UNKNOWN, UNKNOWN)] = without_status
    return counts


async def keep_counting(client: Client, task_queue: str, levels: Sequence[str]) -> None:
    """Runs until cancelled; a failed count keeps the last one (the SDK's metrics show why)."""
    while True:
        try:
            with suppress_instrumentation():
                set_open_incidents(await count_open(client, task_queue, levels))
        except (RPCError, RuntimeError) as err:
            log.warning("could not count open incidents: %s", err)
        await asyncio.sleep(REFRESH_SECONDS)
