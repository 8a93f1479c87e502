"""Weeks-long incidents: a run whose history grows long continues as new, carrying its whole state.

Temporal suggests it (at a few thousand events or megabytes of history); the incident's own limit
(`events_per_run`) keeps it well below 10,000 events whatever the server says. The switch happens
at a quiet moment: no change queued (changes keep being applied while it waits), the aftermath of
every change said and shown, no reminder being posted, the record written. The next run starts
from the whole state, so the reminders keep their due times and nothing already done is done
again. Signals arriving during the switch are not lost: the server refuses to end a run that has
signals it has not seen, so they reach this run, which applies them first, or the next.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import workflows.patches as patches
    from fireline.models import DeclareIncidentInput
    from workflows.incident.state import IncidentState


def due(input: DeclareIncidentInput) -> bool:
    info = workflow.info()
    return (
        info.is_continue_as_new_suggested()
        or info.get_current_history_length() >= input.events_per_run
    )


async def continue_as_new(state: IncidentState, input: DeclareIncidentInput) -> bool:
    """Continue as new once nothing is in flight. Returns only when it did not: True when
    changes arrived meanwhile (they apply first, then it tries again), False for a run from
    before this code (it never continues)."""
    if not patches.patched(patches.CONTINUE_AS_NEW):
        return False
    state.continuing = True  # no reminder starts posting now; one already started finishes
    await workflow.wait_condition(lambda: state.idle() and workflow.all_handlers_finished())
    if state.pending:
        state.continuing = False
        return True
    workflow.continue_as_new(input.model_copy(update={"carried": state.carried()}))
