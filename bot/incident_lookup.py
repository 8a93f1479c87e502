"""Finding incidents: which one a channel belongs to (the IncidentChannel search attribute),
and an incident as its workflow knows it now (the get_incident query).

Every request from inside an incident's channel (a command, a button, a modal opened there)
carries the channel's id, which Bolt puts in `context.channel_id`; one lookup serves them all.
A channel belongs to one incident for good, so the bot remembers which: every later command
there skips the visibility query (the incident itself is always asked, never remembered).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict

from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from bot.refusal import UNREACHABLE, Refused
from fireline.models import IncidentSnapshot
from fireline.render.text import escape
from fireline.search_attributes import INCIDENT_CHANNEL
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


class IncidentLookup:
    def __init__(self, temporal: Client, timeout: float = LOOKUP_TIMEOUT) -> None:
        self._temporal = temporal
        self._timeout = timeout
        self._incident_of: OrderedDict[str, str] = OrderedDict()

    async def by_channel(self, channel_id: str | None) -> str | None:
        """The workflow id of the incident whose channel this is; None for any other channel,
        and when Temporal cannot say in time (the caller then acts as outside an incident)."""
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

    def _remember(self, channel_id: str, workflow_id: str) -> None:
        self._incident_of[channel_id] = workflow_id
        if len(self._incident_of) > REMEMBERED_CHANNELS:
            self._incident_of.popitem(last=False)

    async def _first(self, query: str) -> str | None:
        async for execution in self._temporal.list_workflows(query, limit=1):
            return execution.id
        return None

    async def snapshot(self, workflow_id: str) -> IncidentSnapshot:
        """The incident as its workflow knows it now; Refused when there is no such incident or
        Temporal cannot say in time."""
        handle = self._temporal.get_workflow_handle(workflow_id)
        unknown = f"Fireline knows no incident `{escape(workflow_id)}`; nothing changed."
        try:
            async with asyncio.timeout(SNAPSHOT_TIMEOUT):
                return await handle.query(IncidentWorkflow.get_incident)
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
