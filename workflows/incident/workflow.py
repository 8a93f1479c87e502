"""IncidentWorkflow: one long-lived workflow per incident; this module only wires its handlers.

The bot starts it with its number already allocated (bot.numbers). Declaration (declare.py) runs
every side effect as its own retried, idempotent activity; the PostgreSQL record (record.py) is
kept by its own loop, so the incident moves on while the database is down.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from fireline.models import DeclareIncidentInput, IncidentSnapshot, IncidentStatus
    from workflows.incident.declare import declare
    from workflows.incident.record import keep_record
    from workflows.incident.state import IncidentState


@workflow.defn(name="IncidentWorkflow")
class IncidentWorkflow:
    @workflow.init
    def __init__(self, input: DeclareIncidentInput) -> None:
        info = workflow.info()
        ui = input.temporal_ui_url.rstrip("/")
        url = f"{ui}/namespaces/{info.namespace}/workflows/{info.workflow_id}"
        self._state = IncidentState.declared(input, url)

    @workflow.run
    async def run(self, input: DeclareIncidentInput) -> IncidentSnapshot:
        state = self._state
        state.show_details()
        recorder = asyncio.create_task(keep_record(state))
        await declare(state)
        await workflow.wait_condition(lambda: state.incident.status is IncidentStatus.RESOLVED)
        await workflow.wait_condition(
            lambda: state.recorded_version == state.version and workflow.all_handlers_finished()
        )
        recorder.cancel()
        return state.incident

    @workflow.query
    def get_incident(self) -> IncidentSnapshot:
        return self._state.incident
