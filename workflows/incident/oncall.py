"""The on-call people in the room: who PagerDuty has on call for the configured escalation
policies, found in Slack by email, invited with a DM saying why; whoever has no Slack user with
that email is listed once in the channel. Done once per incident, when on-call is first paged
(never for a private incident: it invites only the people named in its form)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import fireline.render.paging as say
    from activities.pagerduty import PagerDutyActivities
    from activities.pagerduty_types import OnCallInput
    from activities.slack import SlackActivities
    from activities.types import FindUsersInput, FoundUsers, InviteInput
    from workflows.activity_options import BEST_EFFORT, ONCALL_LOOKUP
    from workflows.incident.state import IncidentState
    from workflows.incident.steps import best_effort, upsert_message


def wanted(state: IncidentState, *, any_level: bool = False) -> bool:
    """Not looked up yet, for a level that pages (`any_level`: someone asked for the page)."""
    incident = state.incident
    return (
        state.level_steps_at_declaration
        and (any_level or incident.severity.page_oncall)
        and not incident.declaration.private
        and state.paging_plan.oncall
        and not state.page.oncall_looked_up
    )


def start(state: IncidentState, by: str) -> None:
    """Bring in whoever is on call beside the incident's changes: PagerDuty's REST API slow or
    down (retried for up to 15 minutes) holds back neither declaration nor any change."""
    state.page.oncall_looked_up = True
    state.beside(_reported(bring_in(state, by)))


async def start_step(state: IncidentState, by: str) -> list[str]:
    """The level step (levels.py): starts the lookup and returns at once."""
    start(state, by)
    return []


async def _reported(bringing_in: Awaitable[list[str]]) -> None:
    for problem in await best_effort("bring in who is on call", bringing_in):
        workflow.logger.warning("bringing in who is on call: %s", problem)


async def bring_in(state: IncidentState, by: str) -> list[str]:
    """Invite whoever is on call; returns what could not be done."""
    incident = state.incident
    assert incident.channel is not None
    oncall = await workflow.execute_activity_method(
        PagerDutyActivities.find_oncall,
        OnCallInput(),
        summary="look up who is on call in PagerDuty",
        **ONCALL_LOOKUP,
    )
    if not oncall.people:
        return []
    emails = [person.email for person in oncall.people if person.email]
    found = FoundUsers()
    if emails:
        found = await workflow.execute_activity_method(
            SlackActivities.find_users_by_email,
            FindUsersInput(emails=emails),
            summary=f"find {len(emails)} on-call people in Slack by email",
            **BEST_EFFORT,
        )
    users = list(dict.fromkeys(found.user_ids[e] for e in emails if e in found.user_ids))
    unmapped = [
        f"{person.name} ({person.email or 'no email'})"
        for person in oncall.people
        if person.email not in found.user_ids
    ]
    state.page.oncall_invited = users
    text = f"Invited who is on call: {', '.join(f'<@{user}>' for user in users) or 'nobody'}"
    if unmapped:
        text += f"; not found in Slack: {', '.join(unmapped)}"
    state.add_event("oncall_invited", by, new=",".join(users), text=text)
    steps = [_dm(state, user) for user in users]
    if users:
        steps.insert(0, _invite(state, users))
    if unmapped:
        steps.append(_list_unmapped(state, unmapped))
    results = await asyncio.gather(*steps)
    return [problem for problems in results for problem in problems]


async def _invite(state: IncidentState, users: list[str]) -> list[str]:
    assert state.incident.channel is not None
    result = await workflow.execute_activity_method(
        SlackActivities.invite_members,
        InviteInput(channel_id=state.incident.channel.id, user_ids=users),
        summary=f"invite {len(users)} on-call people to {state.where()}",
        **BEST_EFFORT,
    )
    return result.problems


async def _dm(state: IncidentState, user: str) -> list[str]:
    async def send() -> list[str]:
        result = await upsert_message(
            state,
            "oncall_dm",
            user,
            say.oncall_dm(state.incident),
            BEST_EFFORT,
            summary="DM an on-call person why they were invited",
        )
        return result.problems(f"Could not DM <@{user}>: ")

    return await best_effort("DM an on-call person", send())


async def _list_unmapped(state: IncidentState, names: list[str]) -> list[str]:
    assert state.incident.channel is not None
    result = await upsert_message(
        state,
        "oncall_unmapped",
        state.incident.channel.id,
        say.oncall_unmapped(names),
        BEST_EFFORT,
        summary=f"list in {state.where()} the on-call people not found in Slack",
    )
    return result.problems()
