"""The middleware that resolves which incident a request is about, for every listener that
changes incidents.

A slash command is about the incident whose channel it was typed in (None in any other
channel); a summary button names its incident in its value; a change form names it, and the
channel it was opened from, in its private_metadata. Listeners find the incident, as its
workflow knows it now, in `context[INCIDENT]`. A private incident's existence is confidential,
so it is changed only from its own channel.

Both lookups are bounded (bot.incident_lookup), so listeners still acknowledge well inside
Slack's 3 seconds and open a modal with a live trigger_id.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncBoltContext

from bot.change_forms import FormOrigin
from bot.incident_lookup import IncidentLookup
from bot.refusal import Refused
from fireline.models import IncidentSnapshot

INCIDENT = "incident"
PRIVATE_ELSEWHERE = (
    "That incident is private: it can only be changed from its own channel. Nothing changed."
)

Middleware = Callable[..., Awaitable[None]]


def incident_middleware(incidents: IncidentLookup) -> Middleware:
    async def resolve_incident(
        body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
    ) -> None:
        context[INCIDENT] = await _resolve(incidents, body, context.channel_id)
        await next()

    return resolve_incident


async def _resolve(
    incidents: IncidentLookup, body: dict[str, Any], channel_id: str | None
) -> IncidentSnapshot | None:
    if "command" in body:
        workflow_id = await incidents.by_channel(channel_id)
        return None if workflow_id is None else await incidents.snapshot(workflow_id)
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
