"""IncidentCounter: one entity workflow that hands out INC numbers, even while PostgreSQL is down.

Numbers are allocated with a Temporal Update keyed by the incidents' workflow ids, so a retried
allocation returns the number already given instead of burning a new one. One Update may carry
many keys: the bot coalesces concurrent declarations (see bot.numbers).

The counter lives in Temporal, the record in PostgreSQL: a counter that starts over (a reinstalled
dev server, another namespace or task queue on the same database) would repeat numbers the record
holds. So before its first allocation the counter reads the record's highest number and starts
above it, and reads it again when an incident reports its number taken. Without the database it
carries on from what it knows; a number that turns out taken is replaced by the incident.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from datetime import timedelta

from temporalio import workflow
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    import workflows.patches as patches
    from activities.records import RecordActivities

    # Payload types live outside the workflow module: the sandbox re-imports workflow modules per
    # run, and rebuilding pydantic schemas each time is costly.
    from fireline.models import AllocateNumbersInput, CounterState
    from workflows.activity_options import RECORD_FLOOR

# Keys remembered for retried allocations; retries come within minutes, not thousands of incidents.
REMEMBERED_KEYS = 1000


def counter_workflow_id(task_queue: str) -> str:
    """One counter per deployment; a deployment is its task queue within the namespace."""
    return f"fireline-incident-counter-{task_queue}"


async def allocate_numbers(
    client: Client, task_queue: str, input: AllocateNumbersInput, rpc_timeout: timedelta
) -> dict[str, int]:
    """Numbers for `input.keys` from the deployment's counter, starting the counter if needed."""
    counter = WithStartWorkflowOperation(
        IncidentCounterWorkflow.run,
        CounterState(),
        id=counter_workflow_id(task_queue),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    return await client.execute_update_with_start_workflow(
        IncidentCounterWorkflow.allocate,
        input,
        start_workflow_operation=counter,
        rpc_timeout=rpc_timeout,
    )


@workflow.defn(name="IncidentCounter")
class IncidentCounterWorkflow:
    @workflow.init
    def __init__(self, state: CounterState) -> None:
        self._last = state.last_number
        self._recent: OrderedDict[str, int] = OrderedDict(state.recent)
        self._updates = 0
        self._floor_known = state.floor_known
        # Set when the record's highest number should be read before the next allocation.
        self._floor_stale = not state.floor_known
        # One read at a time; allocations arriving meanwhile wait for it.
        self._floor_lock = asyncio.Lock()

    @workflow.run
    async def run(self, state: CounterState) -> None:
        await workflow.wait_condition(
            lambda: (
                self._updates >= state.updates_per_run
                or workflow.info().is_continue_as_new_suggested()
            )
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        carried = {
            "last_number": self._last,
            "recent": list(self._recent.items()),
            "floor_known": self._floor_known,
        }
        workflow.continue_as_new(state.model_copy(update=carried))

    @workflow.update
    async def allocate(self, input: AllocateNumbersInput) -> dict[str, int]:
        self._updates += 1
        self._last = max(self._last, input.taken)
        if patches.patched(patches.COUNTER_READS_RECORD_FLOOR):
            await self._read_floor(again=input.taken > 0)
        return {key: self._number_for(key) for key in input.keys}

    async def _read_floor(self, *, again: bool) -> None:
        """Move above the record's highest number, if it is due to be read and can be."""
        self._floor_stale = self._floor_stale or again
        async with self._floor_lock:
            if not self._floor_stale:
                return
            self._floor_stale = False
            try:
                # Local: read within the workflow task, so the allocations waiting on it wait for
                # one query, not for a round trip through the server's activity queue.
                highest = await workflow.execute_local_activity_method(
                    RecordActivities.highest_incident_number, **RECORD_FLOOR
                )
            except FailureError as err:
                # Numbers keep coming without the database; the next run or collision reads again.
                self._floor_known = False
                workflow.logger.warning("could not read the highest recorded number: %s", err)
                return
            self._last = max(self._last, highest)
            self._floor_known = True

    def _number_for(self, key: str) -> int:
        if key not in self._recent:
            self._last += 1
            self._recent[key] = self._last
            while len(self._recent) > REMEMBERED_KEYS:
                self._recent.popitem(last=False)
        return self._recent[key]

    @workflow.query
    def get_last_number(self) -> int:
        return self._last
