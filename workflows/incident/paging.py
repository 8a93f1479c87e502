"""Paging on-call through PagerDuty: the incident's alert follows the incident.

Once on-call is wanted (the level pages, a promotion into such a level, `/incident page`), the
alert is open while the incident is unresolved and resolved once it is: resolving sends
`resolve`, reopening triggers a new alert, a demotion changes nothing. Every event carries the
incident's workflow id as its dedup key, so a retry after a 429, a 5xx, a timeout, a lost answer
or a killed worker adds to the alert it opened instead of waking anyone twice. Events go one after
the other in their own task: the incident's other changes never wait for PagerDuty, and a resolve
never overtakes the trigger it resolves.

A page PagerDuty has not accepted for minutes is said in the incident channel (nobody was woken),
and said again when it goes through; a refusal (a wrong routing key) is said once, with what to fix.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Literal

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    import fireline.render.paging as say
    from activities.pagerduty import PagerDutyActivities
    from activities.pagerduty_types import PageInput, PageLink
    from fireline.models import IncidentStatus
    from fireline.render.incident import Blocks
    from workflows.activity_options import BEST_EFFORT, PAGING
    from workflows.incident.state import IncidentState
    from workflows.incident.steps import best_effort, upsert_message

# How long a page may go unaccepted before the channel is told nobody was woken.
PAGE_NOTICE_AFTER = timedelta(minutes=2)
UNRESOLVED = {IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED, IncidentStatus.MITIGATED}


def request(state: IncidentState, by: str, *, asked: bool = False) -> None:
    """On-call should be paged for this incident: trigger its alert unless it is open. When
    someone `asked` (`/incident page`), paging being off is said too."""
    state.page.wanted = True
    state.page.asked = state.page.asked or asked
    sync(state, by)


def sync(state: IncidentState, by: str) -> None:
    """Bring the alert in line with the incident's status (after any change of it), in the
    background, crediting `by`; nothing while on-call was never wanted."""
    if not state.page.wanted:
        return
    state.page.by = by
    if state._paging is None or state._paging.done():
        state._paging = asyncio.create_task(_follow(state))


async def settled(state: IncidentState) -> None:
    """Wait for the events still to send (the last resolve, before the workflow ends)."""
    if state._paging is not None:
        await state._paging


def _should_be_open(state: IncidentState) -> bool:
    return state.page.wanted and state.incident.status in UNRESOLVED


async def _follow(state: IncidentState) -> None:
    page = state.page
    while (wanted := _should_be_open(state)) != page.open:
        sent = await _send(state, "trigger" if wanted else "resolve")
        if sent == "off" and page.asked:
            page.asked = False
            await _say(state, "paging_off", say.paging_off(state.incident), "off")
        if sent != "sent":
            return  # paging is off or refused (and said so): tried again at the next change
        page.open = wanted
        incident = state.incident
        if wanted:
            severity = say.alert_severity(incident, state.policy)
            state.add_event("oncall_paged", page.by, new=severity, text="PagerDuty alert triggered")
        else:
            state.add_event("page_resolved", page.by, text="PagerDuty alert resolved")


async def _send(
    state: IncidentState, action: Literal["trigger", "resolve"]
) -> Literal["sent", "off", "refused"]:
    """Send one event until PagerDuty accepts it (or refuses, or paging is off)."""
    if not state.paging_plan.events:
        return "off"
    incident = state.incident
    started = workflow.now()
    sending = workflow.start_activity_method(
        PagerDutyActivities.send_page,
        _event(state, action),
        summary=f"{action} the PagerDuty alert of {incident.reference}",
        **PAGING,
    )
    delayed = False
    if action == "trigger":
        try:
            await workflow.wait_condition(
                sending.done,
                timeout=PAGE_NOTICE_AFTER,
                timeout_summary="wait for PagerDuty to accept the page",
            )
        except TimeoutError:
            delayed = True
            minutes = int(PAGE_NOTICE_AFTER.total_seconds() // 60)
            await _say(state, "page_delayed", say.page_delayed(incident, minutes), "delayed")
    try:
        result = await sending
    except ActivityError as err:
        await _say(state, "page_refused", say.page_refused(incident, str(err.cause or err)), "")
        return "refused"
    if delayed:
        minutes = max(int((workflow.now() - started).total_seconds() // 60), 1)
        await _say(state, "page_delayed", say.page_went_through(incident, minutes), "through")
    return "sent" if result.sent else "off"


def _event(state: IncidentState, action: Literal["trigger", "resolve"]) -> PageInput:
    incident = state.incident
    if action == "resolve":
        return PageInput(action="resolve", dedup_key=incident.incident_id)
    links = [PageLink(href=incident.workflow_url, text=f"{incident.reference} in Temporal")]
    if incident.channel is not None:
        links.insert(0, PageLink(href=incident.channel.url, text="Incident channel in Slack"))
    return PageInput(
        action="trigger",
        dedup_key=incident.incident_id,
        summary=say.alert_summary(incident),
        severity=say.alert_severity(incident, state.policy),
        timestamp=workflow.now(),
        links=links,
        custom_details=say.alert_details(incident),
    )


async def _say(state: IncidentState, step: str, blocks: Blocks, how: str) -> None:
    """A note about the page in the incident channel: one message per step, kept up to date
    (a second refusal or delay edits the first instead of repeating it)."""
    channel = state.incident.channel
    if channel is None:
        return
    notes = state.page.notes

    async def post() -> list[str]:
        result = await upsert_message(
            state,
            step,
            channel.id,
            blocks,
            BEST_EFFORT,
            ts=notes.get(step),
            text="On-call was not paged" if step == "page_refused" else None,
            summary=f"say in {state.where()} that the page is {how or 'refused'}",
        )
        if result.ts:
            notes[step] = result.ts
        return result.problems()

    for problem in await best_effort("say how the page went", post()):
        workflow.logger.warning("paging: %s", problem)
