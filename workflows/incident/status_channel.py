"""The status channel: `inc-<n>-status`, where stakeholders read along in plain language.

Opened once, for levels with `status_channel` (at declaration or at promotion into one; a demotion
keeps it), never for a private incident. The incident channel, the summary and the feed post link
to it; every update, status change and the resolution is posted there; it is archived with the
incident channel when the policy archives on close.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import fireline.render.incident as render
    import fireline.render.stakeholders as say
    import workflows.patches as patches
    from activities.slack import SlackActivities
    from activities.types import ArchiveChannelInput, CreateStatusChannelInput
    from workflows.activity_options import BEST_EFFORT
    from workflows.incident.state import IncidentState
    from workflows.incident.steps import (
        best_effort,
        upsert_feed_post,
        upsert_message,
        upsert_summary,
    )


def wanted(state: IncidentState) -> bool:
    incident = state.incident
    return (
        state.level_steps_at_declaration
        and incident.severity.status_channel
        and not incident.declaration.private
        and incident.status_channel is None
        and not (state.opening_status_channel and patches.patched(patches.STATUS_CHANNEL_ONCE))
    )


async def open_channel(state: IncidentState, by: str) -> list[str]:
    """Create the channel, then say where it is everywhere the incident is shown."""
    incident = state.incident
    assert incident.channel is not None
    state.opening_status_channel = True
    try:
        channel = await workflow.execute_activity_method(
            SlackActivities.create_status_channel,
            CreateStatusChannelInput(
                number=incident.number,
                not_before=incident.declared_at,
                incident_channel_id=incident.channel.id,
            ),
            summary=f"create the status channel of {incident.reference}",
            **BEST_EFFORT,
        )
    finally:  # given up on: the next promotion into such a level tries again
        state.opening_status_channel = False
    incident.status_channel = channel
    state.changed()  # the record keeps it as a link
    results = await asyncio.gather(
        best_effort("introduce the status channel", _introduce(state)),
        best_effort("link the status channel", _link(state)),
        best_effort("show the status channel in the summary", _summary(state)),
        show_in_feed(state),
    )
    return [problem for problems in results for problem in problems]


async def show_in_feed(state: IncidentState) -> list[str]:
    """The feed post, with the status channel's link. At declaration the feed post is made side
    by side with the status channel, so declaration calls this again once both are done."""
    if state.incident.status_channel is None or not (state.feed_channel and state.incident.feed_ts):
        return []
    return await best_effort(
        "show the status channel in the feed",
        upsert_feed_post(state, summary="show the status channel in the feed post"),
    )


def relay(state: IncidentState, blocks: render.Blocks) -> list[Awaitable[list[str]]]:
    """The steps posting a change to the status channel: none when there is no such channel."""
    channel = state.incident.status_channel
    if channel is None:
        return []
    step = f"status:event:{state.next_event - 1}"
    return [best_effort("post to the status channel", _post(state, step, channel.id, blocks))]


async def archive(state: IncidentState) -> None:
    channel = state.incident.status_channel
    if channel is None:
        return

    async def archived() -> list[str]:
        await workflow.execute_activity_method(
            SlackActivities.archive_channel,
            ArchiveChannelInput(channel_id=channel.id),
            summary=f"archive the status channel of {state.incident.reference}",
            **BEST_EFFORT,
        )
        return []

    for problem in await best_effort("archive the status channel", archived()):
        workflow.logger.warning("status channel: %s", problem)


async def _post(state: IncidentState, step: str, channel: str, blocks: render.Blocks) -> list[str]:
    result = await upsert_message(
        state,
        step,
        channel,
        blocks,
        BEST_EFFORT,
        summary=f"post to the status channel of {state.incident.reference}",
    )
    return result.problems()


async def _introduce(state: IncidentState) -> list[str]:
    channel = state.incident.status_channel
    assert channel is not None
    return await _post(state, "status_intro", channel.id, say.introduction(state.incident))


async def _link(state: IncidentState) -> list[str]:
    incident = state.incident
    assert incident.channel is not None
    return await _post(state, "status_channel_link", incident.channel.id, say.opened_note(incident))


async def _summary(state: IncidentState) -> list[str]:
    return (await upsert_summary(state, pin=False)).problems()
