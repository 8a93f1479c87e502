"""The incident's reminders task: sleeps on a durable timer until the earliest reminder is due
(workflows/incident/reminders.py keeps the due times in the state), then posts what is due.

The timer is re-armed whenever the earliest due time changes. When it fires, changes queued
first apply first, so an update, a resolve or a demotion that arrived with the timer drops the
reminder it made moot instead of it being posted late. A timer that fired while no worker ran
fires once when one returns: the reminder is posted once, then keeps its cadence.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import fireline.render.incident as render
    import fireline.render.operator as operator
    import fireline.render.reminders as say
    import fireline.telemetry.workflow_metrics as workflow_metrics
    import workflows.incident.reminders as reminders
    from fireline.models import ReminderKind
    from workflows.activity_options import BEST_EFFORT
    from workflows.incident.state import IncidentState
    from workflows.incident.steps import best_effort, upsert_message, upsert_summary


async def keep_reminding(state: IncidentState) -> None:
    """Runs from declaration until the workflow ends (then it is cancelled)."""
    while True:
        await _until_due_or_moved(state)
        # Nothing queued or being applied: what is due is judged on the incident as it is now.
        # Not while the run continues as new either: the next run posts it (next_run.py).
        await workflow.wait_condition(lambda: not state.pending and not state.continuing)
        now = workflow.now()
        due_at = dict(state.incident.reminders)
        due = reminders.take_due(state.incident, state.policy, now)
        if not due:
            continue
        state.posting_reminders = True
        try:
            await _post_due(state, due, due_at)
        finally:
            state.posting_reminders = False


async def _post_due(
    state: IncidentState, due: list[ReminderKind], due_at: dict[ReminderKind, datetime]
) -> None:
    state.show_details()
    steps = [_post(state, kind) for kind in due]
    if ReminderKind.UPDATE in due:
        steps.append(best_effort("show the next update's due time", _summary(state)))
    results = await asyncio.gather(*steps)
    for kind, problems in zip(due, results, strict=False):  # the summary's step comes last
        if not problems:
            workflow_metrics.reminder_posted(kind.value, workflow.now() - due_at[kind])
    for problems in results:
        for problem in problems:
            workflow.logger.warning("reminder: %s", problem)


async def _until_due_or_moved(state: IncidentState) -> None:
    """Until the earliest reminder is due, or the earliest due time changes."""
    incident = state.incident
    earliest = reminders.earliest(incident)
    if earliest is None:
        await workflow.wait_condition(lambda: bool(incident.reminders))
        return
    kind, at = earliest
    now = workflow.now()
    if at <= now:
        return
    with contextlib.suppress(TimeoutError):  # the timer fired: due
        await workflow.wait_condition(
            lambda: reminders.earliest(incident) != earliest,
            timeout=at - now,
            timeout_summary=operator.reminder_due(kind, at),
        )


async def _post(state: IncidentState, kind: ReminderKind) -> list[str]:
    """Post one reminder: in the channel, and to the commander for a nudge that is theirs."""
    incident = state.incident
    assert incident.channel is not None
    state.reminders_sent += 1
    step = f"reminder:{state.reminders_sent}"
    what = operator.REMINDERS[kind]
    if kind is ReminderKind.UPDATE:
        posts = [(incident.channel.id, say.update_due(incident))]
    elif kind is ReminderKind.UNCLAIMED_ROLE:
        roles = reminders.unclaimed_roles(incident)
        posts = [(incident.channel.id, say.role_unclaimed(incident, roles))]
    elif kind is ReminderKind.STALE:
        blocks = say.stale(incident, workflow.now())
        posts = [(incident.channel.id, blocks), (incident.commander_id, blocks)]
    else:
        posts = [(incident.commander_id, say.postmortem_due(incident))]
    results = await asyncio.gather(
        *(
            best_effort(f"post the {what}", _message(state, f"{step}:{n}", channel, blocks, what))
            for n, (channel, blocks) in enumerate(posts)
        )
    )
    return [problem for problems in results for problem in problems]


async def _message(
    state: IncidentState, step: str, channel: str, blocks: render.Blocks, what: str
) -> list[str]:
    to = "the commander" if channel == state.incident.commander_id else state.where()
    result = await upsert_message(
        state,
        step,
        channel,
        blocks,
        BEST_EFFORT,
        summary=f"post the {what} to {to}",
    )
    return result.problems()


async def _summary(state: IncidentState) -> list[str]:
    result = await upsert_summary(state, pin=False)
    return result.problems()
