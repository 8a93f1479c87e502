"""IncidentCounter: one entity workflow that hands out INC numbers, without PostgreSQL.

Numbers are allocated with a Temporal Update keyed by the incident's workflow id, so a retried
allocation returns the number already given instead of burning a new one.
"""

from __future__ import annotations

from collections import OrderedDict

from pydantic import BaseModel, Field
from temporalio import workflow

# Keys remembered for retried allocations; retries come within minutes, not thousands of incidents.
REMEMBERED_KEYS = 1000
# Temporal caps an execution at 2,000 Updates; continue as new well before.
UPDATES_PER_RUN = 500


def counter_workflow_id(task_queue: str) -> str:
    """One counter per deployment; a deployment is its task queue within the namespace."""
    return f"fireline-incident-counter-{task_queue}"


class CounterState(BaseModel):
    last_number: int = 0
    recent: list[tuple[str, int]] = Field(default_factory=list)


class AllocateNumberInput(BaseModel):
    key: str


@workflow.defn(name="IncidentCounter")
class IncidentCounterWorkflow:
    @workflow.init
    def __init__(self, state: CounterState) -> None:
        self._last = state.last_number
        self._recent: OrderedDict[str, int] = OrderedDict(state.recent)
        self._updates = 0

    @workflow.run
    async def run(self, state: CounterState) -> None:
        await workflow.wait_condition(
            lambda: (
                self._updates >= UPDATES_PER_RUN or workflow.info().is_continue_as_new_suggested()
            )
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(
            CounterState(last_number=self._last, recent=list(self._recent.items()))
        )

    @workflow.update
    def allocate(self, input: AllocateNumberInput) -> int:
        self._updates += 1
        if input.key in self._recent:
            return self._recent[input.key]
        self._last += 1
        self._recent[input.key] = self._last
        while len(self._recent) > REMEMBERED_KEYS:
            self._recent.popitem(last=False)
        return self._last

    @workflow.query
    def get_last_number(self) -> int:
        return self._last
