"""Which incident a request is about, for every listener that changes incidents.

A slash command is about the incident whose channel it was typed in (None in any other
channel), looked up only when the subcommand needs it (ChannelIncident): a change is acknowledged
before. A summary button names its incident in its value; a change form names it, and the
channel it was opened from, in its private_metadata: for these the middleware resolves the
incident before the listener runs, which finds it, as its workflow knows it now, in
`context[INCIDENT]`. A private incident's existence is confidential, so it is changed only from
its own channel.

Both lookups are bounded (bot.incident_lookup), so listeners still acknowledge well inside
Slack's 3 seconds and open a modal with a live trigger_id.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncBoltContext

from bot.change_forms import FormOrigin
from bot.incident_lookup import IncidentLookup, IncidentRef
from bot.refusal import Refused
from fireline.models import IncidentSnapshot

INCIDENT = "incident"
PRIVATE_ELSEWHERE = (
    "That incident is private: it can only be changed from its own channel. Nothing changed."
)

Middleware = Callable[..., Awaitable[None]]


class ChannelIncident:
    """The incident whose channel a command was typed in, looked up once, on first use: which
    incident it is (`ref`), and, for what needs it, the incident as its workflow knows it now."""

    def __init__(self, incidents: IncidentLookup, channel_id: str | None) -> None:
        self._incidents = incidents
        self._channel_id = channel_id
        self._ref: tuple[IncidentRef | None] | None = None
        self._found: tuple[IncidentSnapshot | None] | None = None

    async def ref(self) -> IncidentRef | None:
        if self._ref is None:
            self._ref = (await self._incidents.by_channel(self._channel_id),)
        return self._ref[0]

    async def __call__(self) -> IncidentSnapshot | None:
        if self._found is None:
            ref = await self.ref()
            found = None if ref is None else await self._incidents.snapshot(ref.incident_id)
            self._found = (found,)
        return self._found[0]


def incident_middleware(incidents: IncidentLookup) -> Middleware:
    async def resolve_incident(
        body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
    ) -> None:
        context[INCIDENT] = await _resolve(incidents, body, context.channel_id)
        await next()

    return resolve_incident


async def _resolve(
    incidents: IncidentLookup, body: dict[str, Any], channel_id: str | None
) -> IncidentSnapshot:
    if body.get("type") == "view_submission":
        origin = FormOrigin.model_validate_json(body["view"]["private_metadata"])
        workflow_id, channel_id = origin.incident, origin.channel
    else:  # a button: its value is the incident's workflow id
        workflow_id = body["actions"][0]["value"]
    incident = await incidents.snapshot(workflow_id)
    here = incident.channel is not None and incident.channel.id == channel_id
    if incident.declaration.private and not here:
        raise Refused(PRIVATE_ELSEWHERE)
    return incident
