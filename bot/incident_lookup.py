"""Finding incidents: which one a channel belongs to (the IncidentChannel search attribute),
and an incident as its workflow knows it now (the get_incident query).

Every request from inside an incident's channel (a command, a button, a modal opened there)
carries the channel's id, which Bolt puts in `context.channel_id`; one lookup serves them all.
A channel belongs to one incident for good, so the bot remembers which: every later command
there skips the visibility query. What is remembered names the incident (its workflow id and
number), which is all most changes need; the incident's state is always asked, never remembered.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from bot.refusal import UNREACHABLE, Refused
from fireline.models import IncidentSnapshot, incident_reference
from fireline.render.text import escape
from fireline.search_attributes import INCIDENT_CHANNEL, INCIDENT_NUMBER
from workflows.incident import IncidentWorkflow

log = logging.getLogger(__name__)

# A slash command's trigger_id lives 3 s: if Temporal has not answered by then, the declaration
# form must still open in time.
LOOKUP_TIMEOUT = 1.0
# The query runs on the worker; bounded too, since a button's or command's modal must still open
# within its trigger's 3 s after both lookups.
SNAPSHOT_TIMEOUT = 1.5
# Channel ids are upper-case letters and digits; anything else never reaches the query.
_CHANNEL_ID = re.compile(r"[A-Z0-9]+")
# Incident channels remembered, the least recently used forgotten first: a few bytes each.
REMEMBERED_CHANNELS = 10_000


class NamedIncident(Protocol):
    """What a change needs to be sent and acknowledged: which incident, and what people call it.
    An IncidentRef, or an IncidentSnapshot when the change was checked against the incident."""

    @property
    def incident_id(self) -> str: ...

    @property
    def number(self) -> int | None: ...

    @property
    def reference(self) -> str: ...


@dataclass(frozen=True)
class IncidentRef:
    incident_id: str
    number: int | None  # from the IncidentNumber search attribute; every incident sets it

    @property
    def reference(self) -> str:
        return incident_reference(self.number) if self.number is not None else self.incident_id


class IncidentLookup:
    def __init__(self, temporal: Client, timeout: float = LOOKUP_TIMEOUT) -> None:
        self._temporal = temporal
        self._timeout = timeout
        self._incident_of: OrderedDict[str, IncidentRef] = OrderedDict()

    async def by_channel(self, channel_id: str | None) -> IncidentRef | None:
        """The incident whose channel this is; None for any other channel, and when Temporal
        cannot say in time (the caller then acts as outside an incident)."""
        if channel_id is None or not _CHANNEL_ID.fullmatch(channel_id):
            return None
        if (known := self._incident_of.get(channel_id)) is not None:
            self._incident_of.move_to_end(channel_id)
            return known
        try:
            async with asyncio.timeout(self._timeout):
                found = await self._first(f"{INCIDENT_CHANNEL.name} = '{channel_id}'")
        except TimeoutError:
            reason = f"no answer within {self._timeout} s"
        # A lazy client that cannot connect raises RuntimeError.
        except (RPCError, RuntimeError) as err:
            reason = str(err)
        else:
            # Only what was found: a channel may not be visible as an incident's just yet.
            if found is not None:
                self._remember(channel_id, found)
            return found
        log.warning("could not tell whether %s is an incident channel: %s", channel_id, reason)
        return None

    def _remember(self, channel_id: str, incident: IncidentRef) -> None:
        self._incident_of[channel_id] = incident
        if len(self._incident_of) > REMEMBERED_CHANNELS:
            self._incident_of.popitem(last=False)

    async def _first(self, query: str) -> IncidentRef | None:
        async for execution in self._temporal.list_workflows(query, limit=1):
            number = execution.typed_search_attributes.get(INCIDENT_NUMBER)
            return IncidentRef(execution.id, number)
        return None

    async def snapshot(self, workflow_id: str) -> IncidentSnapshot:
        """The incident as its workflow knows it now; Refused when there is no such incident or
        Temporal cannot say in time."""
        handle = self._temporal.get_workflow_handle(workflow_id)
        unknown = f"Fireline knows no incident `{escape(workflow_id)}`; nothing changed."
        try:
            async with asyncio.timeout(SNAPSHOT_TIMEOUT):
                incident = await handle.query(IncidentWorkflow.get_incident)
        except WorkflowQueryFailedError as err:  # another kind of workflow: no such query
            raise Refused(unknown) from err
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                raise Refused(unknown) from err
            log.warning("could not query incident %s: %s", workflow_id, err)
            raise Refused(UNREACHABLE) from err
        except (TimeoutError, RuntimeError) as err:
            log.warning("could not query incident %s: %s", workflow_id, err or "timed out")
            raise Refused(UNREACHABLE) from err
        # A renumbered incident (the record held its number) is named by its new number.
        channel = incident.channel
        if channel is not None and channel.id in self._incident_of:
            self._incident_of[channel.id] = IncidentRef(incident.incident_id, incident.number)
        return incident
