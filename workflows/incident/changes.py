"""Applying one change to a running incident: judge it, change the state, then bring Slack, the
search attributes, the workflow's details and the record in step.

Every change is judged here, whoever sent it (the bot checks first only to answer at once); a
refused one changes nothing and its actor is told why in the incident channel.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import fireline.render.changes as say
    import fireline.render.incident as render
    import fireline.render.paging as paging_say
    import fireline.render.stakeholders as stakeholders
    import fireline.search_attributes as search_attributes
    import fireline.signals as signals
    import workflows.incident.lifecycle as lifecycle
    import workflows.incident.oncall as oncall
    import workflows.incident.paging as paging
    import workflows.incident.reminders as reminders
    import workflows.incident.status_channel as status_channel
    import workflows.incident.tracking as tracking
    import workflows.patches as patches
    from activities.slack import SlackActivities
    from activities.types import (
        ArchiveChannelInput,
        InviteInput,
        TellUserInput,
    )
    from fireline.models import IncidentStatus, ReminderKind, StatusUpdate
    from fireline.render.text import escape
    from workflows.activity_options import BEST_EFFORT, ESSENTIAL
    from workflows.incident.levels import run_level_steps
    from workflows.incident.state import IncidentState, QueuedChange
    from workflows.incident.steps import (
        best_effort,
        describe_channel,
        upsert_feed_post,
        upsert_message,
        upsert_summary,
    )

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
# Which status each status implies was reached on the way (resolving implies mitigating).
_STATUS_TIME = {
    IncidentStatus.IDENTIFIED: "identified_at",
    IncidentStatus.MITIGATED: "mitigated_at",
    IncidentStatus.RESOLVED: "resolved_at",
    IncidentStatus.CLOSED: "closed_at",
}


class Refused(Exception):
    """The change is not allowed; the message (composed by Fireline) says why."""


async def apply(state: IncidentState, queued: QueuedChange) -> None:
    model, handler = _HANDLERS[queued.signal]
    change = model.model_validate(queued.payload)
    try:
        await handler(state, change)
    except Refused as refusal:
        await _tell(state, change.by, str(refusal))


async def change_status(state: IncidentState, change: signals.ChangeStatusInput) -> None:
    target = _status(change.status)
    before = state.incident.status
    moved = _judge_move(before, target)
    _move(state, moved)
    paging.sync(state, change.by)
    state.add_event(
        "status_changed", change.by, old=before.value, new=target.value, text=change.note
    )
    tracking.changed(
        state, change.by, lambda who: tracking.status_text(before, target, who, change.note)
    )
    await _in_step(
        state,
        say.status_changed(state.incident, change.by, before, change.note),
        topic=True,
        summary=f"say in {state.where()} that the status is {target.value}",
        also=status_channel.relay(state, stakeholders.status_changed(state.incident)),
    )


async def post_update(state: IncidentState, change: signals.PostUpdateInput) -> None:
    incident = state.incident
    before = incident.status
    target = _status(change.status) if change.status else before
    moved = _judge_move(before, target) if target is not before else None
    if moved is not None:
        _move(state, moved)
        paging.sync(state, change.by)
        state.add_event(
            "status_changed", change.by, old=before.value, new=target.value, text=change.text
        )
        tracking.changed(
            state, change.by, lambda who: tracking.status_text(before, target, who, change.text)
        )
    incident.last_update = StatusUpdate(
        text=change.text, by=change.by, at=workflow.now(), status=incident.status
    )
    state.add_event("update_posted", change.by, new=incident.status.value, text=change.text)
    _restart_reminder(state, ReminderKind.UPDATE)
    blocks = say.update_posted(incident, change.by, change.text)
    await _in_step(
        state,
        blocks,
        topic=moved is not None,
        summary=f"post the update in {state.where()}",
        feed_thread=blocks,
        also=status_channel.relay(state, stakeholders.update_posted(incident, change.text)),
    )


async def change_severity(state: IncidentState, change: signals.ChangeSeverityInput) -> None:
    policy = state.policy
    incident = state.incident
    level = policy.level(change.severity) if policy else None
    if policy is None or level is None:
        names = (
            ", ".join(level.name for level in policy.levels) if policy else incident.severity.name
        )
        raise Refused(f"Unknown severity `{escape(change.severity)}`. Levels: {names}.")
    before = incident.severity
    if level.name == before.name:
        raise Refused(f"The incident is already {escape(level.name)}.")
    promoted = policy.is_promotion(before.name, level.name)
    incident.severity = level
    state.add_event("severity_changed", change.by, old=before.name, new=level.name)
    tracking.changed(
        state, change.by, lambda who: tracking.severity_text(before.name, level.name, who)
    )
    _restart_reminder(state, ReminderKind.UPDATE)  # the new level's cadence, from now
    workflow.upsert_search_attributes([search_attributes.INCIDENT_SEVERITY.value_set(level.name)])
    await _in_step(
        state,
        say.severity_changed(incident, change.by, before, promoted),
        topic=True,
        summary=f"say in {state.where()} that the severity is {level.name}",
    )
    if promoted:
        if patches.patched(patches.LEVEL_STEPS_BESIDE_CHANGES):
            # What the new level adds (a status channel, its people, paging) starts now, for
            # this level, and runs beside the changes: the next one need not wait for it.
            state.beside(_level_steps(state, change.by))
        else:
            await run_level_steps(state, change.by)


async def _level_steps(state: IncidentState, by: str) -> None:
    await run_level_steps(state, by)


async def assign_role(state: IncidentState, change: signals.AssignRoleInput) -> None:
    incident = state.incident
    roles = state.policy.roles if state.policy else []
    role = next((role for role in roles if role.name == change.role), None)
    if role is None:
        names = ", ".join(role.name for role in roles) or "commander"
        raise Refused(f"Unknown role `{escape(change.role)}`. Roles: {names}.")
    if not _USER_ID.match(change.user):
        raise Refused(f"`{escape(change.user)}` is not a Slack user; pick one with @-mention.")
    before = incident.roles.get(role.name)
    if before == change.user:
        raise Refused(f"<@{change.user}> is already {render.role_label(role.name).lower()}.")
    incident.roles = {**incident.roles, role.name: change.user}
    state.add_event("role_assigned", change.by, old=before, new=change.user, text=role.name)
    if role.name == "commander":
        workflow.upsert_search_attributes(
            [search_attributes.INCIDENT_COMMANDER.value_set(change.user)]
        )
    await _in_step(
        state,
        say.role_assigned(incident, change.by, role.name, change.user),
        summary=f"say in {state.where()} who is {role.name}",
        also=[
            best_effort(f"invite the new {role.name}", _invite(state, change.user)),
            best_effort(
                f"DM the new {role.name}",
                _dm(state, change.user, say.role_dm(incident, change.by, role), role.name),
            ),
        ],
    )


async def add_note(state: IncidentState, change: signals.AddNoteInput) -> None:
    state.add_event("note_added", change.by, text=change.text)
    await _in_step(
        state,
        say.note_added(state.incident, change.by, change.text),
        summary=f"say in {state.where()} that a note was added",
        summary_changed=False,
    )


async def snooze_reminder(state: IncidentState, change: signals.SnoozeReminderInput) -> None:
    """The next update reminder comes `minutes` from now (then on the level's cadence)."""
    incident = state.incident
    if not 1 <= change.minutes <= signals.SNOOZE_MAX_MINUTES:
        raise Refused(f"Snooze for 1 minute to 24 hours, not {change.minutes} minutes.")
    if ReminderKind.UPDATE not in incident.reminders:
        raise Refused(
            f"{incident.reference} has no update reminder to snooze: its level has none, or "
            f"it is {incident.status.value}."
        )
    until = workflow.now() + timedelta(minutes=change.minutes)
    reminders.postpone(incident, ReminderKind.UPDATE, until)
    state.add_event("reminder_snoozed", change.by, new=until.isoformat(), text=str(change.minutes))
    await _in_step(
        state,
        say.reminder_snoozed(incident, change.by, until),
        summary=f"say in {state.where()} that the update reminder is snoozed",
    )


async def add_followup(state: IncidentState, change: signals.AddFollowupInput) -> None:
    refusal = tracking.add_followup(state, change.by, change.text)
    if refusal:
        raise Refused(refusal)


async def refresh_postmortem(state: IncidentState, change: signals.RefreshPostmortemInput) -> None:
    refusal = tracking.refresh(state)
    if refusal:
        raise Refused(refusal)


async def page_oncall(state: IncidentState, change: signals.PageOncallInput) -> None:
    """Page on-call for an incident whose level did not (or page again after a refusal)."""
    incident = state.incident
    if not state.level_steps_at_declaration:
        raise Refused(
            f"{incident.reference} was declared before Fireline paged; page on-call in PagerDuty."
        )
    if incident.status not in paging.UNRESOLVED:
        raise Refused(f"{incident.reference} is {incident.status.value}: reopen it first.")
    if state.page.open:
        raise Refused(f"On-call is already paged for {incident.reference}.")
    state.add_event("page_requested", change.by)
    paging.request(state, change.by, asked=True)
    if oncall.wanted(state, any_level=True):
        oncall.start(state, change.by)
    await _in_step(
        state,
        paging_say.page_requested(incident, change.by),
        summary=f"say in {state.where()} that on-call is paged",
        summary_changed=False,
    )


def _restart_reminder(state: IncidentState, kind: ReminderKind) -> None:
    if state.reminding:
        reminders.restart(state.incident, state.policy, kind, workflow.now())


_Handler = Callable[[IncidentState, Any], Awaitable[None]]
_HANDLERS: dict[str, tuple[type[signals.Change], _Handler]] = {
    signals.CHANGE_STATUS: (signals.ChangeStatusInput, change_status),
    signals.POST_UPDATE: (signals.PostUpdateInput, post_update),
    signals.CHANGE_SEVERITY: (signals.ChangeSeverityInput, change_severity),
    signals.ASSIGN_ROLE: (signals.AssignRoleInput, assign_role),
    signals.ADD_NOTE: (signals.AddNoteInput, add_note),
    signals.SNOOZE_REMINDER: (signals.SnoozeReminderInput, snooze_reminder),
    signals.ADD_FOLLOWUP: (signals.AddFollowupInput, add_followup),
    signals.REFRESH_POSTMORTEM: (signals.RefreshPostmortemInput, refresh_postmortem),
    signals.PAGE_ONCALL: (signals.PageOncallInput, page_oncall),
}


def _status(name: str) -> IncidentStatus:
    try:
        return IncidentStatus(name)
    except ValueError:
        names = ", ".join(status.value for status in IncidentStatus)
        raise Refused(f"Unknown status `{escape(name)}`. Statuses: {names}.") from None


def _judge_move(before: IncidentStatus, target: IncidentStatus) -> lifecycle.Move:
    try:
        return lifecycle.move(before, target)
    except lifecycle.MoveRefused as refusal:
        raise Refused(str(refusal)) from None


def _move(state: IncidentState, moved: lifecycle.Move) -> None:
    """The new status, and when each status was first reached: a forward move marks the ones it
    skipped too (resolving implies mitigating); a reopen clears those after where it lands."""
    incident = state.incident
    incident.status = moved.after
    order = list(IncidentStatus)
    now = workflow.now()
    for status, field in _STATUS_TIME.items():
        reached = order.index(status) <= order.index(moved.after)
        if not reached:
            setattr(incident, field, None)
        elif getattr(incident, field) is None:
            setattr(incident, field, now)
    workflow.upsert_search_attributes(
        [search_attributes.INCIDENT_STATUS.value_set(moved.after.value)]
    )


async def _in_step(
    state: IncidentState,
    blocks: render.Blocks,
    *,
    summary: str,
    topic: bool = False,
    summary_changed: bool = True,
    feed_thread: render.Blocks | None = None,
    also: Sequence[Awaitable[list[str]]] = (),
) -> None:
    """After a change: the pinned summary, which responders look at, before the next change is
    applied; then, in the background and in the order of the changes, the message saying what
    changed, the topic, the feed post and whatever else the change asked for (`also`)."""
    incident = state.incident
    assert incident.channel is not None
    if state.reminding:  # the reminders the change wants, before the summary shows them
        reminders.sync(incident, state.policy, workflow.now())
    state.show_details()
    if summary_changed:
        await upsert_summary(state, pin=False)
    event = f"event:{state.next_event - 1}"
    steps: list[Awaitable[list[str]]] = [
        best_effort(
            "say what changed",
            _say(state, event, blocks, summary),
        ),
        *also,
    ]
    if topic:
        steps.append(best_effort("set the topic", describe_channel(state)))
    if state.feed_channel and incident.feed_ts and summary_changed:
        steps.append(
            best_effort(
                "update the feed post", upsert_feed_post(state, summary="update the feed post")
            )
        )
    if state.feed_channel and incident.feed_ts and feed_thread:
        steps.append(
            best_effort("post the update to the feed", _feed_reply(state, event, feed_thread))
        )
    state.afterwards(_all(steps))


async def _all(steps: Sequence[Awaitable[list[str]]]) -> None:
    for problems in await asyncio.gather(*steps):
        for problem in problems:
            workflow.logger.warning("after a change: %s", problem)


async def _say(state: IncidentState, event: str, blocks: render.Blocks, summary: str) -> list[str]:
    incident = state.incident
    assert incident.channel is not None
    result = await upsert_message(
        state,
        event,
        incident.channel.id,
        blocks,
        ESSENTIAL,
        summary=summary,
    )
    return result.problems()


async def _feed_reply(state: IncidentState, event: str, blocks: render.Blocks) -> list[str]:
    incident = state.incident
    assert state.feed_channel is not None
    await upsert_message(
        state,
        f"feed:{event}",
        state.feed_channel,
        blocks,
        BEST_EFFORT,
        thread_ts=incident.feed_ts,
        summary="post the update under the feed post",
    )
    return []


async def _invite(state: IncidentState, user: str) -> list[str]:
    assert state.incident.channel is not None
    result = await workflow.execute_activity_method(
        SlackActivities.invite_members,
        InviteInput(channel_id=state.incident.channel.id, user_ids=[user]),
        summary=f"invite <@{user}> to {state.where()}",
        **BEST_EFFORT,
    )
    return result.problems


async def _dm(state: IncidentState, user: str, blocks: render.Blocks, role: str) -> list[str]:
    result = await upsert_message(
        state,
        f"role_dm:event:{state.next_event - 1}",
        user,
        blocks,
        BEST_EFFORT,
        summary=f"DM the new {role} their role",
    )
    return result.problems()


async def _tell(state: IncidentState, user: str, reason: str) -> None:
    """The actor of a refused change learns why, where they are: the incident channel."""
    channel = state.incident.channel
    if channel is None:
        return
    await best_effort(
        "tell why a change was refused",
        _tell_user(state, channel.id, user, say.refused(state.incident, reason)),
    )


async def _tell_user(state: IncidentState, channel: str, user: str, text: str) -> list[str]:
    result = await workflow.execute_activity_method(
        SlackActivities.tell_user,
        TellUserInput(channel=channel, user=user, text=text),
        summary=f"tell <@{user}> why their change was refused",
        **BEST_EFFORT,
    )
    return result.problems


async def close(state: IncidentState) -> None:
    """A closed incident's last effects: its PagerDuty alert resolved, its channel archived when
    the policy says so."""
    await paging.settled(state)
    channel = state.incident.channel
    if channel is None or not (state.policy and state.policy.archive_on_close):
        return
    await status_channel.archive(state)
    await best_effort(
        "archive the channel",
        _archive(state, channel.id),
    )


async def _archive(state: IncidentState, channel: str) -> list[str]:
    await workflow.execute_activity_method(
        SlackActivities.archive_channel,
        ArchiveChannelInput(channel_id=channel),
        summary=f"archive {state.where()}",
        **BEST_EFFORT,
    )
    return []
