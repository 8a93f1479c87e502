"""IncidentWorkflow: one long-lived workflow per incident; this module only wires its handlers.

The bot starts it with its number already allocated (bot.numbers). Declaration (declare.py) runs
every side effect as its own retried, idempotent activity; the PostgreSQL record (record.py) is
kept by its own loop, so the incident moves on while the database is down. Changes arrive as
signals (fireline/signals.py), queue in the state and are applied one at a time, in the order they
arrived, once the channel exists (changes.py); closing ends the workflow after its last effects.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow

# Passed through, so the sandbox does not run these modules again for every new workflow: only a
# full module path passes (`from package import module` would load `module` in the sandbox).
with workflow.unsafe.imports_passed_through():
    import fireline.signals as signals
    import workflows.incident.changes as changes
    import workflows.incident.next_run as next_run
    import workflows.incident.reminders as reminders
    import workflows.incident.tracking as tracking
    import workflows.patches as patches
    from fireline.models import DeclareIncidentInput, IncidentSnapshot, IncidentStatus
    from workflows.incident.declare import declare
    from workflows.incident.record import keep_record
    from workflows.incident.remind import keep_reminding
    from workflows.incident.state import IncidentState


@workflow.defn(name="IncidentWorkflow")
class IncidentWorkflow:
    @workflow.init
    def __init__(self, input: DeclareIncidentInput) -> None:
        info = workflow.info()
        ui = input.temporal_ui_url.rstrip("/")
        url = f"{ui}/namespaces/{info.namespace}/workflows/{info.workflow_id}"
        self._state = IncidentState.starting(input, url)
        # False in a run from before continue-as-new (next_run.py): it never switches.
        self._may_continue = True

    @workflow.run
    async def run(self, input: DeclareIncidentInput) -> IncidentSnapshot:
        state = self._state
        state.show_details()
        recorder = asyncio.create_task(keep_record(state))
        if input.carried is None:  # a continued run's incident was declared by its first run
            if patches.patched(patches.REMINDERS):
                state.reminding = True
                reminders.sync(state.incident, state.policy, workflow.now())
            state.level_steps_at_declaration = patches.patched(patches.PAGING_AND_STATUS_CHANNEL)
            await declare(state)
        reminding = asyncio.create_task(keep_reminding(state)) if state.reminding else None
        while state.incident.status is not IncidentStatus.CLOSED:
            await workflow.wait_condition(
                lambda: (
                    bool(state.pending)
                    or (self._may_continue and next_run.due(input) and state.idle())
                )
            )
            if not state.pending:
                self._may_continue = await next_run.continue_as_new(state, input)
                continue
            # Dequeued once applied: reminders wait for an empty queue (remind.py).
            await changes.apply(state, state.pending[0])
            state.pending.pop(0)
        if reminding is not None:
            reminding.cancel()
        await state.settled()
        await tracking.finish(state)
        await changes.close(state)
        await workflow.wait_condition(
            lambda: state.recorded_version == state.version and workflow.all_handlers_finished()
        )
        recorder.cancel()
        return state.incident

    @workflow.query
    def get_incident(self) -> IncidentSnapshot:
        return self._state.incident

    @workflow.signal(name=signals.CHANGE_STATUS)
    def change_status(self, change: signals.ChangeStatusInput) -> None:
        self._state.receive(signals.CHANGE_STATUS, change)

    @workflow.signal(name=signals.CHANGE_SEVERITY)
    def change_severity(self, change: signals.ChangeSeverityInput) -> None:
        self._state.receive(signals.CHANGE_SEVERITY, change)

    @workflow.signal(name=signals.ASSIGN_ROLE)
    def assign_role(self, change: signals.AssignRoleInput) -> None:
        self._state.receive(signals.ASSIGN_ROLE, change)

    @workflow.signal(name=signals.POST_UPDATE)
    def post_update(self, change: signals.PostUpdateInput) -> None:
        self._state.receive(signals.POST_UPDATE, change)

    @workflow.signal(name=signals.ADD_NOTE)
    def add_note(self, change: signals.AddNoteInput) -> None:
        self._state.receive(signals.ADD_NOTE, change)

    @workflow.signal(name=signals.ADD_FOLLOWUP)
    def add_followup(self, change: signals.AddFollowupInput) -> None:
        self._state.receive(signals.ADD_FOLLOWUP, change)

    @workflow.signal(name=signals.REFRESH_POSTMORTEM)
    def refresh_postmortem(self, change: signals.RefreshPostmortemInput) -> None:
        self._state.receive(signals.REFRESH_POSTMORTEM, change)

    @workflow.signal(name=signals.SNOOZE_REMINDER)
    def snooze_reminder(self, change: signals.SnoozeReminderInput) -> None:
        self._state.receive(signals.SNOOZE_REMINDER, change)

    @workflow.signal(name=signals.PAGE_ONCALL)
    def page_oncall(self, change: signals.PageOncallInput) -> None:
        self._state.receive(signals.PAGE_ONCALL, change)
