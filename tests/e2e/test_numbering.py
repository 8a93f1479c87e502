"""Incident numbers never repeat for one database, even when numbering starts over in Temporal.

Each `fireline_stack` has its own task queue, so its own IncidentCounter: a second stack on the
same database is what a reinstalled dev server or a second environment looks like to the counter.
"""

from __future__ import annotations

from typing import Any

from temporalio.testing import WorkflowEnvironment

from fireline import search_attributes
from fireline.db.queries import fetch_incident
from fireline.devstack.localpg import LocalPostgres
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.stack import ONCE, Stack, fireline_stack
from workflows.incident import IncidentWorkflow


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


async def test_a_number_handed_out_while_the_database_was_down_is_replaced(
    slack: FakeSlack,
    dev_server: WorkflowEnvironment,
    database_url: str,
    stoppable_postgres: LocalPostgres,
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as before:
        await recorded(before, await before.declare(title="Outage one"), 1)

    stoppable_postgres.stop()
    async with fireline_stack(slack, dev_server.client, database_url) as after:
        # The new counter cannot read the record: numbering starts over.
        workflow_id = await after.declare(title="Outage two")
        declared = await after.declared(workflow_id)
        assert declared.number == 1
        stoppable_postgres.start()

        # The record refuses INC-1 (another incident's): the incident takes the next number,
        # renames its channel and updates its summary, then is recorded.
        row = await recorded(after, workflow_id, 2)
        incident = await after.handle(workflow_id).query(IncidentWorkflow.get_incident)
        assert incident.channel is not None
        assert row["channel_name"] == incident.channel.name == "inc-2-outage-two"
        channel = slack.channel_by_id(incident.channel.id)
        assert channel is not None and channel["name"] == "inc-2-outage-two"
        summary = after.tagged(incident.channel.id, workflow_id, "summary")
        assert len(summary) == 1 and "INC-2: Outage two" in str(summary[0]["blocks"])
        assert after.artifact_counts(incident) == ONCE
        described = await after.handle(workflow_id).describe()
        assert described.typed_search_attributes.get(search_attributes.INCIDENT_NUMBER) == 2
