"""The postmortem doc and the Jira issue, made when the incident's level wants them and kept in
step with it, in the background: the incident never waits on Notion, Confluence or Jira.

Each is made by an idempotent activity (found before created) retried until done; a refusal only
an admin can fix (a token, a permission, a missing database or project) is said once in the
channel, then tried again on a durable timer. What is made is bookmarked in the channel, linked
from the pinned summary and written to the record; what is left out (a private incident) is said
in the summary. Status and severity changes comment on the issue and update the doc's header;
closing takes the issue's done transition. Comments name whoever made the change as the
postmortem's timeline does (their Slack name), each person looked up once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    import fireline.render.incident as render
    import workflows.patches as patches
    from activities.doc_template import FOLLOW_UPS, TIMELINE
    from activities.jira import JiraActivities
    from activities.postmortem_doc import PostmortemDocActivities
    from activities.slack import SlackActivities
    from activities.slack_transcript import SlackTranscriptActivities
    from activities.tracking_types import (
        CloseIssueInput,
        CommentIssueInput,
        DocHeader,
        DocSection,
        DocSectionInput,
        EnsureDocInput,
        EnsureIssueInput,
        EnsureResult,
        FollowupInput,
        TranscriptInput,
        UpdateDocHeaderInput,
        UserNamesInput,
    )
    from activities.types import BookmarkInput
    from activities.vendor_errors import REFUSED
    from fireline.models import IncidentLink, IncidentStatus
    from fireline.render.text import escape
    from workflows.activity_options import (
        BEST_EFFORT,
        NAME_LOOKUP,
        TRACKING,
        TRACKING_REFUSED_RETRY,
        TRACKING_SECTION,
        TRANSCRIPT,
    )
    from workflows.incident.postmortem_timeline import durations, timeline_lines
    from workflows.incident.state import IncidentState
    from workflows.incident.steps import best_effort, upsert_message, upsert_summary

DOC_KINDS = ("notion_page", "confluence_page")
PRIVATE_NO_DOC = "No postmortem doc: private incidents get none in the shared space."
PRIVATE_NO_ISSUE = "No Jira issue: private incidents get none in the shared project."


def begin(state: IncidentState) -> None:
    """At declaration, once the channel exists: tracking runs for incidents whose deployment has
    an integration (behind the patch, so earlier incidents replay), and the level's wants start."""
    plan = state.tracking.plan
    if not (plan.doc_backend or plan.jira):
        return
    state.tracking.on = patches.patched(patches.POSTMORTEM_AND_TICKET)
    start(state)


def wanted(state: IncidentState) -> bool:
    """Whether the level (after a promotion) wants a doc or an issue not started yet."""
    tracking, level = state.tracking, state.incident.severity
    if not tracking.on:
        return False
    doc = level.postmortem and bool(tracking.plan.doc_backend) and not tracking.doc_started
    issue = level.jira and tracking.plan.jira and not tracking.issue_started
    return doc or issue


async def start_step(state: IncidentState, by: str) -> list[str]:
    """The level step (levels.py): starts the work and returns at once."""
    start(state)
    return []


def start(state: IncidentState) -> None:
    if not wanted(state):
        return
    tracking, incident = state.tracking, state.incident
    private = incident.declaration.private
    if incident.severity.postmortem and tracking.plan.doc_backend and not tracking.doc_started:
        tracking.doc_started = True
        if private:
            _leave_out(state, PRIVATE_NO_DOC)
        else:
            tracking.spawn(lambda: _made(state, "doc", _ensure_doc))
    if incident.severity.jira and tracking.plan.jira and not tracking.issue_started:
        tracking.issue_started = True
        if private and not tracking.plan.jira_private_project:
            _leave_out(state, PRIVATE_NO_ISSUE)
        else:
            tracking.spawn(lambda: _made(state, "issue", _ensure_issue))


def status_text(before: IncidentStatus, after: IncidentStatus, who: str, note: str) -> str:
    said = f"Status: {before.value} -> {after.value} (by {who})"
    return f"{said}: {note}" if note else said


def severity_text(before: str, after: str, who: str) -> str:
    return f"Severity: {before} -> {after} (by {who})"


def changed(state: IncidentState, by: str, text: Callable[[str], str]) -> None:
    """After a status or severity change by `by`: a comment on the issue (`text` given who made
    the change), the doc's header current, and on resolve the doc's timeline written."""
    if not state.tracking.on:
        return
    marker = f"event:{state.next_event - 1}"
    state.tracking.then("issue", lambda: _comment(state, by, text, marker))
    state.tracking.then("doc", lambda: _update_header(state))
    if state.incident.status is IncidentStatus.RESOLVED:
        fill(state)


def refresh(state: IncidentState) -> str | None:
    """`/incident postmortem`: the timeline written again; or why there is no doc to write."""
    tracking = state.tracking
    if not (tracking.on and tracking.plan.doc_backend):
        return "Postmortem docs are not configured here (Notion or Confluence)."
    if state.incident.declaration.private:
        return "A private incident has no postmortem doc in the shared space."
    if not tracking.doc_started:
        return f"{state.incident.severity.name} incidents get no postmortem doc."
    fill(state)
    return None


def add_followup(state: IncidentState, by: str, text: str) -> str | None:
    """`/incident followup <text>`: a Jira issue linked to the incident's ("relates to"), said in
    the channel and listed in the doc; or why it cannot be made."""
    tracking = state.tracking
    if not (tracking.on and tracking.plan.jira):
        return "Follow-ups are Jira issues, and Jira is not configured here."
    if state.incident.declaration.private and not tracking.plan.jira_private_project:
        return "A private incident has no Jira issue to link follow-ups to."
    if not tracking.issue_started:
        return f"{state.incident.severity.name} incidents get no Jira issue to link follow-ups to."
    event = state.add_event("followup_added", by, text=text)
    tracking.then("issue", lambda: _followup(state, text, event.key))
    return None


async def _followup(state: IncidentState, text: str, marker: str) -> None:
    await workflow.wait_condition(lambda: _link(state, ("jira_issue",)) is not None)
    issue = _link(state, ("jira_issue",))
    assert issue is not None
    incident = state.incident
    try:
        made = await workflow.execute_activity_method(
            JiraActivities.create_followup,
            FollowupInput(
                incident_id=incident.incident_id,
                number=incident.number,
                parent_key=issue.external_id,
                text=text,
                marker=marker,
            ),
            summary=f"open a follow-up of {issue.external_id}",
            **BEST_EFFORT,
        )
    except ActivityError as err:
        workflow.logger.warning("gave up on a follow-up: %s", err.cause or err)
        return
    incident.links = [*incident.links, made]
    state.changed()
    assert incident.channel is not None
    said = f"Follow-up <{made.url}|{escape(made.external_id)}>: {escape(text)}"
    await best_effort(
        "say the follow-up in the channel",
        _said(state, f"followup:{marker}", said, f"Follow-up {made.external_id}"),
    )
    followups = [link for link in incident.links if link.kind == "jira_followup"]
    lines = [f"{link.external_id}: {link.title} ({link.url})" for link in followups]
    if _link(state, DOC_KINDS) is not None:
        state.tracking.then("doc", lambda: _write_followups(state, lines))


async def _said(state: IncidentState, step: str, text: str, fallback: str) -> list[str]:
    assert state.incident.channel is not None
    result = await upsert_message(
        state,
        step,
        state.incident.channel.id,
        [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        BEST_EFFORT,
        text=fallback,
        summary=f"say the follow-up in {state.where()}",
    )
    return result.problems()


async def _write_followups(state: IncidentState, lines: list[str]) -> None:
    doc = _link(state, DOC_KINDS)
    assert doc is not None
    await best_effort(
        "list the follow-ups in the postmortem", _section(state, doc, FOLLOW_UPS, lines)
    )


async def _section(
    state: IncidentState, doc: IncidentLink, heading: str, lines: list[str]
) -> list[str]:
    await workflow.execute_activity_method(
        PostmortemDocActivities.write_section,
        DocSectionInput(ref=doc, section=DocSection(heading=heading, lines=lines)),
        summary=f"write the {heading.lower()} of the postmortem of {state.incident.reference}",
        **TRACKING_SECTION,
    )
    return []


async def finish(state: IncidentState) -> None:
    """Closing: the issue takes its done transition; whatever is still waiting is stopped."""
    if not state.tracking.on:
        return
    issue = _link(state, ("jira_issue",))
    await state.tracking.drain(
        {"doc": _link(state, DOC_KINDS) is not None, "issue": issue is not None}
    )
    if issue is not None:
        await best_effort("close the Jira issue", _close(state, issue))
    await state.tracking.stop()


def _link(state: IncidentState, kinds: tuple[str, ...]) -> IncidentLink | None:
    return next((link for link in state.incident.links if link.kind in kinds), None)


def _leave_out(state: IncidentState, reason: str) -> None:
    state.incident.left_out = [*state.incident.left_out, reason]
    state.changed()
    state.tracking.then("summary", lambda: _refresh_summary(state))


def header(state: IncidentState) -> DocHeader:
    incident = state.incident
    return DocHeader(
        number=incident.number,
        title=incident.declaration.title,
        severity=incident.severity.name,
        status=incident.status.value,
        commander=state.tracking.names.get(incident.commander_id, incident.commander_id),
        declared_at=incident.declared_at,
        channel_url=incident.channel.url if incident.channel else "",
        durations=durations(incident),
    )


def fill(state: IncidentState) -> None:
    """Write the doc's Timeline from the incident's timeline and the channel (on resolve, and on
    /incident postmortem): after the doc exists, after what was queued for it before."""
    if state.tracking.on and state.tracking.plan.doc_backend and state.tracking.doc_started:
        state.tracking.then("doc", lambda: _fill(state))


async def _fill(state: IncidentState) -> None:
    await workflow.wait_condition(lambda: _link(state, DOC_KINDS) is not None)
    doc = _link(state, DOC_KINDS)
    assert doc is not None
    await best_effort("write the postmortem's timeline", _fill_now(state, doc))


async def _fill_now(state: IncidentState, doc: IncidentLink) -> list[str]:
    incident = state.incident
    assert incident.channel is not None
    events = list(state.tracking.timeline)
    people = sorted(
        {incident.declaration.reporter_id, *(e.actor_id for e in events)}
        | {e.new for e in events if e.kind == "role_assigned" and e.new}
    )
    transcript = await workflow.execute_activity_method(
        SlackTranscriptActivities.channel_transcript,
        TranscriptInput(
            channel_id=incident.channel.id,
            oldest=incident.declared_at - timedelta(minutes=1),
            user_ids=people,
        ),
        summary=f"read {state.where()} for the postmortem's timeline",
        **TRANSCRIPT,
    )
    await _section(state, doc, TIMELINE, timeline_lines(incident, events, transcript))
    state.tracking.names = {**state.tracking.names, **transcript.names}
    await workflow.execute_activity_method(
        PostmortemDocActivities.update_header,
        UpdateDocHeaderInput(ref=doc, header=header(state)),
        summary=f"update the header of the postmortem of {incident.reference}",
        **BEST_EFFORT,
    )
    return []


async def _ensure_doc(state: IncidentState) -> EnsureResult:
    incident = state.incident
    return await workflow.execute_activity_method(
        PostmortemDocActivities.ensure_doc,
        EnsureDocInput(
            incident_id=incident.incident_id,
            private=incident.declaration.private,
            header=header(state),
        ),
        summary=f"find or create the postmortem doc of {incident.reference}",
        **TRACKING,
    )


async def _ensure_issue(state: IncidentState) -> EnsureResult:
    incident = state.incident
    return await workflow.execute_activity_method(
        JiraActivities.ensure_issue,
        EnsureIssueInput(
            incident_id=incident.incident_id,
            number=incident.number,
            title=incident.declaration.title,
            severity=incident.severity.name,
            private=incident.declaration.private,
            channel_url=incident.channel.url if incident.channel else "",
            workflow_url=incident.workflow_url,
        ),
        summary=f"find or open the Jira issue of {incident.reference}",
        **TRACKING,
    )


async def _made(
    state: IncidentState,
    what: str,
    ensure: Callable[[IncidentState], Awaitable[EnsureResult]],
) -> None:
    """Ensure the doc or issue, however long it takes; then bookmark it and link it."""
    while True:
        try:
            result = await ensure(state)
            break
        except ActivityError as err:
            cause = err.cause
            if not (isinstance(cause, ApplicationError) and cause.type == REFUSED):
                raise
            if what not in state.tracking.told:
                state.tracking.told = [*state.tracking.told, what]
                await best_effort(
                    f"say the {what} was refused", _say_refused(state, what, str(cause))
                )
            await workflow.sleep(
                TRACKING_REFUSED_RETRY, summary=f"wait before asking for the {what} again"
            )
    if result.ref is None:
        _leave_out(state, f"No {what}: {result.skipped}.")
        return
    state.incident.links = [*state.incident.links, result.ref]
    state.changed()
    label = "Postmortem" if what == "doc" else f"Jira {result.ref.external_id}"
    await best_effort(f"bookmark the {what}", _bookmark(state, label, result.ref.url))
    state.tracking.then("summary", lambda: _refresh_summary(state))


async def _say_refused(state: IncidentState, what: str, reason: str) -> list[str]:
    incident = state.incident
    assert incident.channel is not None
    text = (
        f"Could not make the {what} for {incident.reference}: {reason}. "
        f"Fireline tries again every {int(TRACKING_REFUSED_RETRY.total_seconds() // 60)} minutes."
    )
    result = await upsert_message(
        state,
        f"tracking_refused:{what}",
        incident.channel.id,
        render.problems_blocks([escape(text)]),
        BEST_EFFORT,
        text=f"Could not make the {what}",
        summary=f"say in {state.where()} that the {what} was refused",
    )
    return result.problems()


async def _bookmark(state: IncidentState, title: str, link: str) -> list[str]:
    assert state.incident.channel is not None
    await workflow.execute_activity_method(
        SlackActivities.add_bookmark,
        BookmarkInput(channel_id=state.incident.channel.id, title=title, link=link),
        summary=f"bookmark the {title.split()[0].lower()} in {state.where()}",
        **BEST_EFFORT,
    )
    return []


async def _refresh_summary(state: IncidentState) -> None:
    await best_effort("link it from the summary", _summary(state))


async def _summary(state: IncidentState) -> list[str]:
    return (await upsert_summary(state, pin=False)).problems()


async def _comment(state: IncidentState, by: str, text: Callable[[str], str], marker: str) -> None:
    await workflow.wait_condition(lambda: _link(state, ("jira_issue",)) is not None)
    issue = _link(state, ("jira_issue",))
    assert issue is not None
    who = await _name(state, by)
    await best_effort(
        "comment on the Jira issue",
        _comment_now(state, issue.external_id, text(who), marker),
    )


async def _name(state: IncidentState, user: str) -> str:
    """The person's name as the timeline gives it (state.tracking.names), looked up in Slack the
    first time; their Slack id when Slack does not say. Before the patch comments named the id."""
    if user not in state.tracking.names and patches.patched(patches.JIRA_COMMENT_NAMES):
        try:
            found = await workflow.execute_activity_method(
                SlackTranscriptActivities.user_names,
                UserNamesInput(user_ids=[user]),
                summary="look up the name of who changed the incident",
                **NAME_LOOKUP,
            )
        except ActivityError as err:
            workflow.logger.warning("no name for a Jira comment: %s", err.cause or err)
        else:
            state.tracking.names = {**state.tracking.names, **found.names}
    return state.tracking.names.get(user, user)


async def _comment_now(state: IncidentState, key: str, text: str, marker: str) -> list[str]:
    await workflow.execute_activity_method(
        JiraActivities.comment,
        CommentIssueInput(key=key, text=text, marker=marker),
        summary=f"comment on {key}",
        **BEST_EFFORT,
    )
    return []


async def _update_header(state: IncidentState) -> None:
    await workflow.wait_condition(lambda: _link(state, DOC_KINDS) is not None)
    doc = _link(state, DOC_KINDS)
    assert doc is not None
    await best_effort("update the postmortem doc's header", _header_now(state, doc))


async def _header_now(state: IncidentState, doc: IncidentLink) -> list[str]:
    await workflow.execute_activity_method(
        PostmortemDocActivities.update_header,
        UpdateDocHeaderInput(ref=doc, header=header(state)),
        summary=f"update the header of the postmortem doc of {state.incident.reference}",
        **BEST_EFFORT,
    )
    return []


async def _close(state: IncidentState, issue: IncidentLink) -> list[str]:
    await workflow.execute_activity_method(
        JiraActivities.close,
        CloseIssueInput(key=issue.external_id),
        summary=f"take the done transition of {issue.external_id}",
        **BEST_EFFORT,
    )
    return []
