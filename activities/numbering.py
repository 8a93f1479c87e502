"""Allocating incident numbers from the IncidentCounter workflow (Temporal is the outside
system here)."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy

from workflows.counter import (
    AllocateNumberInput,
    CounterState,
    IncidentCounterWorkflow,
    counter_workflow_id,
)


class NumberingActivities:
    def __init__(self, client: Client, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue

    @activity.defn(name="allocate_incident_number")
    async def allocate_incident_number(self, input: AllocateNumberInput) -> int:
        """Update-with-start: the counter is created on first use and then reused."""
        start = WithStartWorkflowOperation(
            IncidentCounterWorkflow.run,
            CounterState(),
            id=counter_workflow_id(self._task_queue),
            task_queue=self._task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        return await self._client.execute_update_with_start_workflow(
            IncidentCounterWorkflow.allocate, input, start_workflow_operation=start
        )
