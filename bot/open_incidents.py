"""`/incident list`: the open incidents, from Temporal's visibility (the search attributes).

Private incidents are left out: their existence is confidential. Closed ones are not open.
Only this deployment's incidents (its task queue), most severe first, then by number.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from temporalio.client import Client
from temporalio.service import RPCError

from bot.refusal import UNREACHABLE, Refused
from fireline.models import IncidentStatus, incident_reference
from fireline.policy import SeverityPolicy
from fireline.render.text import escape
from fireline.search_attributes import (
    INCIDENT_CHANNEL,
    INCIDENT_COMMANDER,
    INCIDENT_NUMBER,
    INCIDENT_PRIVATE,
    INCIDENT_SEVERITY,
    INCIDENT_STATUS,
)

LIST_TIMEOUT = 5.0  # after the ack: no trigger to keep alive, but no one waits forever


@dataclass(frozen=True)
class OpenIncident:
    number: int
    severity: str
    status: str
    commander: str | None
    channel: str | None

    def line(self) -> str:
        commander = f"<@{self.commander}>" if self.commander else "no commander"
        channel = f"<#{self.channel}>" if self.channel else "channel not created yet"
        return (
            f"• *{incident_reference(self.number)}* · {escape(self.severity)} · "
            f"{escape(self.status)} · {commander} · {channel}"
        )


async def open_incidents_text(temporal: Client, task_queue: str, policy: SeverityPolicy) -> str:
    """The ephemeral answer to `/incident list`; Refused when Temporal cannot say in time."""
    try:
        async with asyncio.timeout(LIST_TIMEOUT):
            incidents = await _open_incidents(temporal, task_queue)
    except (RPCError, TimeoutError, RuntimeError) as err:
        logging.getLogger(__name__).warning("could not list incidents: %s", err or "timed out")
        raise Refused(UNREACHABLE) from err
    if not incidents:
        return "No open incidents. `/incident` declares one."
    rank = {level.name: index for index, level in enumerate(policy.levels)}
    incidents.sort(key=lambda i: (rank.get(i.severity, len(rank)), i.number))
    lines = "\n".join(incident.line() for incident in incidents)
    return f"*Open incidents* (private ones are not listed):\n{lines}"


async def _open_incidents(temporal: Client, task_queue: str) -> list[OpenIncident]:
    query = (
        f"WorkflowType = 'IncidentWorkflow' AND ExecutionStatus = 'Running' "
        f"AND TaskQueue = '{task_queue}' AND {INCIDENT_NUMBER.name} IS NOT NULL "
        f"AND {INCIDENT_PRIVATE.name} = false "
        f"AND {INCIDENT_STATUS.name} != '{IncidentStatus.CLOSED.value}'"
    )
    found = []
    async for execution in temporal.list_workflows(query):
        attributes = execution.typed_search_attributes
        number = attributes.get(INCIDENT_NUMBER)
        assert number is not None  # the query asks for it
        found.append(
            OpenIncident(
                number=number,
                severity=attributes.get(INCIDENT_SEVERITY) or "",
                status=attributes.get(INCIDENT_STATUS) or "",
                commander=attributes.get(INCIDENT_COMMANDER),
                channel=attributes.get(INCIDENT_CHANNEL),
            )
        )
    return found
