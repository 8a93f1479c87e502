"""IncidentCounter: one entity workflow that hands out INC numbers, without PostgreSQL.

Numbers are allocated with a Temporal Update keyed by the incidents' workflow ids, so a retried
allocation returns the number already given instead of burning a new one. One Update may carry
many keys: the bot coalesces concurrent declarations (see bot.numbers).
"""

from __future__ import annotations

from collections import OrderedDict

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    # Payload types live outside the workflow module: the sandbox re-imports workflow modules per
    # run, and rebuilding pydantic schemas each time is costly.
    from fireline.models import AllocateNumbersInput, CounterState

# Keys remembered for retried allocations; retries come within minutes, not thousands of incidents.
REMEMBERED_KEYS = 1000


def counter_workflow_id(task_queue: str) -> str:
    """One counter per deployment; a deployment is its task queue within the namespace."""
    return f"fireline-incident-counter-{task_queue}"


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
                self._updates >= state.updates_per_run
                or workflow.info().is_continue_as_new_suggested()
            )
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        carried = {"last_number": self._last, "recent": list(self._recent.items())}
        workflow.continue_as_new(state.model_copy(update=carried))

    @workflow.update
    def allocate(self, input: AllocateNumbersInput) -> dict[str, int]:
        self._updates += 1
        return {key: self._number_for(key) for key in input.keys}

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
