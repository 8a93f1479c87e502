"""The numbering activity: a fresh number for an incident whose number another incident holds.

It asks the deployment's IncidentCounter, the one place numbers come from, with the same Update
the bot uses. The key names the incident and the number it replaces, so a retried attempt gets the
number already given instead of burning another.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity
from temporalio.client import Client

from fireline.models import AllocateNumbersInput, RenumberInput
from workflows.counter import allocate_numbers

# Within the activity's start-to-close (workflows.activity_options.ESSENTIAL, 10 s), and longer
# than the counter may spend reading the record's highest number (RECORD_FLOOR, 3 s).
RPC_TIMEOUT = timedelta(seconds=8)


class NumberActivities:
    def __init__(self, temporal: Client, task_queue: str) -> None:
        self._temporal = temporal
        self._task_queue = task_queue

    @activity.defn(name="renumber_incident")
    async def renumber_incident(self, input: RenumberInput) -> int:
        """A number above `input.taken` and above every number the record holds."""
        key = f"{input.incident_id}/after-{input.taken}"
        numbers = await allocate_numbers(
            self._temporal,
            self._task_queue,
            AllocateNumbersInput(keys=[key], taken=input.taken),
            RPC_TIMEOUT,
        )
        return numbers[key]
