"""Declaration: the channel, then the room (summary, invites), then everything that points to it.

The channel and the summary retry until done. The other steps may be given up on after their
budget; each one that could not be done is reported once in the incident channel and in the
workflow's details, and none holds back another.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    import fireline.render.incident as render
    import fireline.search_attributes as search_attributes
    import workflows.incident.status_channel as status_channel
    import workflows.incident.tracking as tracking
    import workflows.patches as patches
    from activities.slack import SlackActivities
    from activities.types import (
        BookmarkInput,
        CreateChannelInput,
        InviteInput,
        PinInput,
    )
    from fireline.models import ChannelRef
    from workflows.activity_options import BEST_EFFORT, CHANNEL_REFUSED_RETRY, ESSENTIAL
    from workflows.incident.levels import run_level_steps
    from workflows.incident.state import IncidentState
    from workflows.incident.steps import (
        best_effort,
        describe_channel,
        upsert_feed_post,
        upsert_message,
        upsert_summary,
    )

SUMMARY_NOT_POSTED = "Could not post the summary: "


async def declare(state: IncidentState) -> None:
    side_by_side = patches.patched(patches.DECLARATION_STEPS_SIDE_BY_SIDE)
    incident = state.incident
    channel = await _create_channel(state)
    incident.channel = channel
    if patches.patched(patches.INCIDENT_CHANNEL_SEARCH_ATTRIBUTE):
        workflow.upsert_search_attributes(
            [search_attributes.INCIDENT_CHANNEL.value_set(channel.id)]
        )
    steps = await (_room_and_rest(state) if side_by_side else _room_then_rest(state))
    if state.level_steps_at_declaration:
        steps.append(await status_channel.show_in_feed(state))
    tracking.begin(state)  # the postmortem doc and the Jira issue, in the background
    problems = [problem for step in steps for problem in step]
    if problems:
        incident.problems = problems
        state.show_details()
        await upsert_message(
            state,
            "problems",
            channel.id,
            render.problems_blocks(problems),
            ESSENTIAL,
            text="Some steps could not be done",
            summary=f"say in {state.where()} what could not be done",
        )
    incident.declaration_complete = True
    state.changed()


async def _room_and_rest(state: IncidentState) -> list[list[str]]:
    """The room first: the summary (pinned in passing) and the invites. Everything else needs
    only the summary to exist and runs side by side after it, so a step that keeps failing (a
    pin Slack refuses, invites, a feed the bot is not in) holds back none of the others."""
    incident = state.incident
    reporter = incident.declaration.reporter_id
    invites = asyncio.create_task(best_effort("invite the responders", _invite(state)))
    summary = await upsert_summary(state, pin=True)
    bookmarks = [(f"{incident.reference} in Temporal", incident.workflow_url)]
    if incident.declaration.source_permalink:
        bookmarks.append(("Source message", incident.declaration.source_permalink))
    rest = await asyncio.gather(
        best_effort("pin the summary", _pin_summary(state, summary.pin_failed)),
        best_effort("send the reporter a DM", _dm_reporter(state)),
        best_effort("send the commander a DM", _dm_commander(state)),
        best_effort("post to the feed channel", _announce_in_feed(state)),
        best_effort("reply under the source message", _reply_at_source(state)),
        best_effort("describe the channel", describe_channel(state)),
        *(
            best_effort(f"bookmark {title}", _bookmark(state, title, link))
            for title, link in bookmarks
        ),
        *([run_level_steps(state, reporter)] if state.level_steps_at_declaration else []),
    )
    return [summary.problems(SUMMARY_NOT_POSTED), await invites, *rest]


async def _room_then_rest(state: IncidentState) -> list[list[str]]:
    """How incidents declared before `DECLARATION_STEPS_SIDE_BY_SIDE` ran their steps (the room,
    then the rest; bookmarks one after the other); kept so they replay."""
    room = await asyncio.gather(
        _post_summary(state),
        best_effort("invite the responders", _invite(state)),
    )
    rest = await asyncio.gather(
        best_effort("send the reporter a DM", _dm_reporter(state)),
        best_effort("post to the feed channel", _announce_in_feed(state)),
        best_effort("describe the channel", describe_channel(state)),
        best_effort("bookmark the links", _bookmark_links_in_turn(state)),
    )
    return [*room, *rest]


async def _create_channel(state: IncidentState) -> ChannelRef:
    """The channel, however long it takes. Slack refusing for a reason only an admin can fix is
    told to the reporter once; the step is then tried again on a durable timer."""
    incident = state.incident
    private = incident.declaration.private
    told_reporter = False
    while True:
        try:
            return await workflow.execute_activity_method(
                SlackActivities.create_incident_channel,
                CreateChannelInput(
                    incident_id=incident.incident_id,
                    number=incident.number,
                    title=incident.declaration.title,
                    private=private,
                    not_before=incident.declared_at,
                ),
                summary=f"create the {'private ' if private else ''}channel for "
                f"{incident.reference}",
                **ESSENTIAL,
            )
        except ActivityError as err:
            if not told_reporter:
                told_reporter = True
                await _tell_reporter_channel_refused(state, str(err.cause or err))
            await workflow.sleep(
                CHANNEL_REFUSED_RETRY, summary="wait before asking Slack for the channel again"
            )


async def _tell_reporter_channel_refused(state: IncidentState, reason: str) -> None:
    try:
        await upsert_message(
            state,
            "channel_refused",
            state.incident.declaration.reporter_id,
            render.channel_refused_blocks(state.incident, reason),
            BEST_EFFORT,
            summary="tell the reporter Slack refused the channel",
        )
    except ActivityError as err:
        # Telling is best effort; the channel is still retried.
        workflow.logger.warning("could not DM the reporter: %s", err.cause)


async def _post_summary(state: IncidentState) -> list[str]:
    return (await upsert_summary(state, pin=True)).problems(SUMMARY_NOT_POSTED)


async def _pin_summary(state: IncidentState, needed: bool) -> list[str]:
    """Pin the summary when pinning it in passing did not take."""
    incident = state.incident
    if not needed:
        return []
    assert incident.channel is not None and incident.summary_ts is not None
    result = await workflow.execute_activity_method(
        SlackActivities.pin_message,
        PinInput(channel=incident.channel.id, ts=incident.summary_ts),
        summary=f"pin the summary in {state.where()}",
        **BEST_EFFORT,
    )
    return result.problems


async def _bookmark(state: IncidentState, title: str, link: str) -> list[str]:
    assert state.incident.channel is not None
    await workflow.execute_activity_method(
        SlackActivities.add_bookmark,
        BookmarkInput(channel_id=state.incident.channel.id, title=title, link=link),
        summary=f"bookmark {title} in {state.where()}",
        **BEST_EFFORT,
    )
    return []


async def _bookmark_links_in_turn(state: IncidentState) -> list[str]:
    incident = state.incident
    links = [(f"{incident.reference} in Temporal", incident.workflow_url)]
    if incident.declaration.source_permalink:
        links.append(("Source message", incident.declaration.source_permalink))
    for title, link in links:
        await _bookmark(state, title, link)
    return []


async def _invite(state: IncidentState) -> list[str]:
    incident = state.incident
    assert incident.channel is not None
    declaration = incident.declaration
    users = [declaration.reporter_id, declaration.commander_id]
    # A private incident invites only the people named in the form.
    if not declaration.private:
        users += state.always_invite
    result = await workflow.execute_activity_method(
        SlackActivities.invite_members,
        InviteInput(channel_id=incident.channel.id, user_ids=users),
        summary=f"invite {len(set(users))} people to {state.where()}",
        **BEST_EFFORT,
    )
    return result.problems


def _announce_in_feed(state: IncidentState) -> Awaitable[list[str]]:
    return upsert_feed_post(state, summary="announce the incident in the feed channel")


async def _dm_reporter(state: IncidentState) -> list[str]:
    return await _dm(
        state,
        "reporter_dm",
        state.incident.declaration.reporter_id,
        render.reporter_dm_blocks(state.incident),
        summary="DM the reporter the channel link",
    )


async def _dm_commander(state: IncidentState) -> list[str]:
    declaration = state.incident.declaration
    if declaration.commander_id == declaration.reporter_id:
        return []  # the reporter's own DM says it all
    return await _dm(
        state,
        "commander_dm",
        declaration.commander_id,
        render.commander_dm_blocks(state.incident),
        summary="DM the commander their role and the channel link",
    )


async def _dm(
    state: IncidentState, step: str, user: str, blocks: render.Blocks, *, summary: str
) -> list[str]:
    result = await upsert_message(
        state,
        step,
        user,
        blocks,
        BEST_EFFORT,
        summary=summary,
    )
    return result.problems(f"Could not DM <@{user}>: ")


async def _reply_at_source(state: IncidentState) -> list[str]:
    """A reply under the message the incident was declared from, pointing to its channel. Never
    for a private incident: that thread may be public."""
    declaration = state.incident.declaration
    if declaration.private or not (declaration.source_channel_id and declaration.source_ts):
        return []
    result = await upsert_message(
        state,
        "source_thread",
        declaration.source_channel_id,
        render.source_thread_blocks(state.incident),
        BEST_EFFORT,
        thread_ts=declaration.source_ts,
        summary="reply under the source message with the channel link",
    )
    return result.problems("Could not reply under the source message: ")
