"""Activity calls every part of the incident workflow makes the same way."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError
from temporalio.exceptions import TimeoutError as TemporalTimeoutError

with workflow.unsafe.imports_passed_through():
    import fireline.render.incident as render
    import fireline.telemetry.workflow_metrics as workflow_metrics
    import workflows.patches as patches
    from activities.slack import SlackActivities
    from activities.types import DescribeChannelInput, MessageResult, UpsertMessageInput
    from workflows.activity_options import BEST_EFFORT, ESSENTIAL, IN_TASK, ActivityOptions
    from workflows.incident.state import IncidentState


ParamT = TypeVar("ParamT")
ResultT = TypeVar("ResultT")

# How a local activity's failure reaches the workflow: ActivityError when it timed out, but the
# bare TimeoutError when that timeout is replayed from its marker, and the bare ApplicationError
# when the activity raised (temporalio 1.x).
LOCAL_ACTIVITY_FAILED = (ActivityError, ApplicationError, TemporalTimeoutError)


async def upsert_message(
    state: IncidentState,
    step: str,
    channel: str,
    blocks: render.Blocks,
    options: ActivityOptions,
    *,
    summary: str,
    text: str | None = None,
    ts: str | None = None,
    thread_ts: str | None = None,
    pin: bool = False,
    in_task: bool = False,
) -> MessageResult:
    """Post the incident's message for `step` in `channel` (a user id: a DM), or update it;
    its notification text is the incident's headline unless `text` says otherwise. `in_task`:
    tried in the workflow task first (`in_task_first`; an update only, see `_upsert_summary`)."""
    incident = state.incident
    input = UpsertMessageInput(
        incident_id=incident.incident_id,
        step=step,
        channel=channel,
        text=render.fallback_text(incident) if text is None else text,
        blocks=blocks,
        ts=ts,
        thread_ts=thread_ts,
        pin=pin,
        not_before=incident.declared_at,
    )
    if in_task:
        return await in_task_first(SlackActivities.upsert_message, input, options, summary=summary)
    return await workflow.execute_activity_method(
        SlackActivities.upsert_message, input, summary=summary, **options
    )


async def in_task_first(
    activity: Callable[[Any, ParamT], Awaitable[ResultT]],
    arg: ParamT,
    options: ActivityOptions,
    *,
    summary: str,
) -> ResultT:
    """Run a step in the workflow task that asked for it, as a local activity: no round trip
    through the task queue, so it is done before the work queued there. One attempt of at most
    `IN_TASK`'s timeout, since that task, and every query the bot sends meanwhile, waits for it;
    when Slack is slower than that or fails, the step is queued with `options` as any other
    (after the delay Slack asked for, if it did), and fails, if it must, as a queued step does.

    Only for a step whose first attempt may run again: a local activity cut short (a lost
    workflow task) runs again from its first attempt. And only one at a time: local activities
    in flight side by side may resume in another order on replay (temporalio/sdk-python#1578).
    """
    try:
        return await workflow.execute_local_activity_method(
            activity, arg, summary=summary, **IN_TASK
        )
    except LOCAL_ACTIVITY_FAILED as err:
        failure = err.cause if isinstance(err, ActivityError) else err
        if isinstance(failure, CancelledError):
            raise  # the task that asked for the step was cancelled: so is the step
        if isinstance(failure, ApplicationError) and failure.next_retry_delay:
            await workflow.sleep(
                failure.next_retry_delay, summary="wait as long as Slack asked, then retry"
            )
    return await workflow.execute_activity_method(
        activity, arg, summary=f"{summary} (again, queued: Slack was slow or failed)", **options
    )


async def upsert_summary(state: IncidentState, *, pin: bool) -> MessageResult:
    """The pinned summary in the incident channel, posted once and kept current. Changes,
    reminders, renumbering and links update it from their own tasks: one at a time, each
    rendered when its turn comes, so the last update to reach Slack shows the incident now."""
    if not patches.patched(patches.SUMMARY_ONE_AT_A_TIME):
        return await _upsert_summary(state, pin=pin)
    async with state.summary_turn:
        blocks = render.summary_blocks(state.incident)
        # Updates queued behind one another mostly render the same incident: one call shows it.
        if (
            not pin
            and blocks == state.summary_shown
            and patches.patched(patches.SUMMARY_SENT_ONCE_PER_CHANGE)
        ):
            return MessageResult(ts=state.incident.summary_ts)
        result = await _upsert_summary(state, pin=pin, blocks=blocks, in_turn=True)
        state.summary_shown = blocks if result.ts and not result.problem else None
        return result


async def _upsert_summary(
    state: IncidentState,
    *,
    pin: bool,
    blocks: render.Blocks | None = None,
    in_turn: bool = False,
) -> MessageResult:
    incident = state.incident
    assert incident.channel is not None
    # An update of the posted summary is tried in the workflow task that asked for it: what
    # responders look at changes before the change's other steps. Not a post, whose first
    # attempt does not look for the message an attempt cut short had posted; and only in the
    # summary's turn, so that no two run at once.
    in_task = (
        in_turn
        and incident.summary_ts is not None
        and not pin
        and patches.patched(patches.SUMMARY_UPDATED_IN_THE_CHANGE_TASK)
    )
    result = await upsert_message(
        state,
        "summary",
        incident.channel.id,
        blocks if blocks is not None else render.summary_blocks(incident),
        ESSENTIAL,
        ts=incident.summary_ts,
        pin=pin,
        in_task=in_task,
        summary=f"{'post and pin' if pin else 'update'} the summary in {state.where()}",
    )
    incident.summary_ts = result.ts or incident.summary_ts
    return result


async def upsert_feed_post(state: IncidentState, *, summary: str) -> list[str]:
    """The incident's post in the feed channel, posted once and kept current; private
    incidents have none."""
    incident = state.incident
    feed = state.feed_channel
    if incident.declaration.private or not feed:
        return []
    result = await upsert_message(
        state,
        "feed",
        feed,
        render.feed_blocks(incident),
        BEST_EFFORT,
        ts=incident.feed_ts,
        summary=summary,
    )
    incident.feed_ts = result.ts or incident.feed_ts
    return result.problems(f"Could not post to <#{feed}>: ")


async def describe_channel(state: IncidentState) -> list[str]:
    """The channel's topic and description, from the incident as it is now."""
    incident = state.incident
    assert incident.channel is not None
    await workflow.execute_activity_method(
        SlackActivities.describe_channel,
        DescribeChannelInput(
            channel_id=incident.channel.id,
            topic=render.topic(incident),
            purpose=render.purpose(incident),
        ),
        summary=f"set the topic and description of {state.where()}",
        **BEST_EFFORT,
    )
    return []


async def best_effort(what: str, step: Awaitable[list[str]]) -> list[str]:
    """A step that may be given up on: its final failure becomes a problem to report."""
    try:
        return await step
    except ActivityError as err:
        workflow_metrics.step_given_up(err)
        return [f"Gave up trying to {what}: {err.cause or err}"]
