"""Incident numbers never repeat for one database, even when numbering starts over in Temporal.

Each `fireline_stack` has its own task queue, so its own IncidentCounter: a second stack on the
same database is what a reinstalled dev server or a second environment looks like to the counter.
"""

from __future__ import annotations

from typing import Any

from temporalio.testing import WorkflowEnvironment

from fireline.db.queries import fetch_incident
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.stack import Stack, fireline_stack


async def recorded(stack: Stack, workflow_id: str, number: int) -> dict[str, Any]:
    async def row() -> dict[str, Any] | None:
        found = await fetch_incident(stack.settings.require_database_url(), workflow_id)
        return found if found and found["number"] == number else None

    return await eventually(row)


async def test_numbering_continues_above_the_record_after_temporal_is_wiped(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as before:
        for number in (1, 2, 3):
            workflow_id = await before.declare(title=f"Outage {number}")
            await recorded(before, workflow_id, number)

    async with fireline_stack(slack, dev_server.client, database_url) as after:
        workflow_id = await after.declare(title="Outage after the wipe")
        incident = await after.declared(workflow_id)

        assert incident.number == 4
        row = await recorded(after, workflow_id, 4)
        assert row["channel_name"] == "inc-4-outage-after-the-wipe"
