"""Which incident a channel belongs to, from the IncidentChannel search attribute.

Every request from inside an incident's channel (a command, a button, a modal opened there)
carries the channel's id, which Bolt puts in `context.channel_id`; one lookup serves them all.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass

from temporalio.client import Client
from temporalio.service import RPCError

from fireline.models import incident_reference
from fireline.search_attributes import INCIDENT_CHANNEL, INCIDENT_NUMBER

log = logging.getLogger(__name__)

# A slash command's trigger_id lives 3 s: if Temporal has not answered by then, the declaration
# form must still open in time.
LOOKUP_TIMEOUT = 1.0
# Channel ids are upper-case letters and digits; anything else never reaches the query.
_CHANNEL_ID = re.compile(r"[A-Z0-9]+")


@dataclass(frozen=True)
class ChannelIncident:
    workflow_id: str
    number: int | None  # from IncidentNumber; None if the workflow carries none

    @property
    def reference(self) -> str | None:
        return incident_reference(self.number) if self.number is not None else None


class IncidentLookup:
    def __init__(self, temporal: Client, timeout: float = LOOKUP_TIMEOUT) -> None:
        self._temporal = temporal
        self._timeout = timeout

    async def by_channel(self, channel_id: str | None) -> ChannelIncident | None:
        """The incident whose channel this is; None for any other channel, and when Temporal
        cannot say in time (the caller then acts as outside an incident)."""
        if channel_id is None or not _CHANNEL_ID.fullmatch(channel_id):
            return None
        try:
            async with asyncio.timeout(self._timeout):
                return await self._first(f"{INCIDENT_CHANNEL.name} = '{channel_id}'")
        except TimeoutError:
            reason = f"no answer within {self._timeout} s"
        # A lazy client that cannot connect raises RuntimeError.
        except (RPCError, RuntimeError) as err:
            reason = str(err)
        log.warning("could not tell whether %s is an incident channel: %s", channel_id, reason)
        return None

    async def _first(self, query: str) -> ChannelIncident | None:
        async for execution in self._temporal.list_workflows(query, limit=1):
            number = execution.typed_search_attributes.get(INCIDENT_NUMBER)
            return ChannelIncident(execution.id, number)
        return None
