"""What a severity level adds to an incident, run at declaration and at promotion into it.

A list the workflow walks, not one `if` per step: each step says whether the incident's current
level still wants it and remembers in the state what it did, so a promotion runs only what the
new level adds and a demotion undoes nothing. Paging, the on-call people, the status channel are
here; the postmortem doc and the ticket join this list as they are built.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import workflows.incident.oncall as oncall
    import workflows.incident.paging as paging
    import workflows.incident.status_channel as status_channel
    import workflows.incident.tracking as tracking
    from activities.slack import SlackActivities
    from activities.types import InviteInput
    from workflows.activity_options import BEST_EFFORT
    from workflows.incident.state import IncidentState
    from workflows.incident.steps import best_effort


@dataclass(frozen=True)
class LevelStep:
    what: str  # "invite the level's people": said when it is given up on
    wanted: Callable[[IncidentState], bool]
    # Runs the step for the incident, crediting the person whose declaration or promotion it is.
    run: Callable[[IncidentState, str], Awaitable[list[str]]]


def _uninvited(state: IncidentState) -> list[str]:
    """The level's people not invited yet; nobody for a private incident."""
    incident = state.incident
    if incident.declaration.private:
        return []
    return [user for user in incident.severity.invite if user not in state.level_invited]


async def _invite_level(state: IncidentState, by: str) -> list[str]:
    incident = state.incident
    assert incident.channel is not None
    users = _uninvited(state)
    state.level_invited = [*state.level_invited, *users]
    result = await workflow.execute_activity_method(
        SlackActivities.invite_members,
        InviteInput(channel_id=incident.channel.id, user_ids=users),
        summary=f"invite {len(users)} people {incident.severity.name} brings in",
        **BEST_EFFORT,
    )
    return result.problems


def _page_wanted(state: IncidentState) -> bool:
    """The level pages on-call and nobody asked yet (incidents from before paging never page)."""
    return (
        state.level_steps_at_declaration
        and state.incident.severity.page_oncall
        and not state.page.wanted
    )


async def _page(state: IncidentState, by: str) -> list[str]:
    # Paging runs in its own task and says itself how it went: declaration waits for none of it.
    paging.request(state, by)
    return []


LEVEL_STEPS = [
    LevelStep(
        "invite the people of the level", lambda state: bool(_uninvited(state)), _invite_level
    ),
    LevelStep("make the postmortem doc and the Jira issue", tracking.wanted, tracking.start_step),
    LevelStep("page on-call", _page_wanted, _page),
    LevelStep("bring in who is on call", oncall.wanted, oncall.start_step),
    LevelStep("open the status channel", status_channel.wanted, status_channel.open_channel),
]


async def run_level_steps(state: IncidentState, by: str) -> list[str]:
    """Run every step the incident's level wants and has not had, crediting `by`; returns what
    was given up."""
    wanted = [step for step in LEVEL_STEPS if step.wanted(state)]
    results = await asyncio.gather(
        *(best_effort(step.what, step.run(state, by)) for step in wanted)
    )
    return [problem for problems in results for problem in problems]
