"""Duplicate deliveries are harmless: the workflow id comes from the submitted view."""

from __future__ import annotations

import asyncio

from temporalio.testing import WorkflowEnvironment

from tests.fakes.slack import FakeSlack
from tests.stack import ONCE, fireline_stack


async def test_the_same_submission_twice_is_one_incident(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        view = await stack.open_form()
        # A double click, and a redelivery racing it.
        responses = await asyncio.gather(stack.submit(view), stack.submit(view))
        assert [response.status for response in responses] == [200, 200]
        await stack.submit(view)
        incident = await stack.declared(stack.workflow_id(view))

        assert incident.number == 1
        assert [c["name"] for c in slack.channels() if c["name"].startswith("inc-")] == [
            "inc-1-checkout-is-failing"
        ]
        assert stack.artifact_counts(incident)["feed"] == 1
        queue = stack.settings.temporal_task_queue
        query = f"WorkflowType = 'IncidentWorkflow' AND TaskQueue = '{queue}'"
        runs = [wf async for wf in stack.temporal.list_workflows(query)]
        assert len(runs) == 1


async def test_two_submissions_racing_are_two_incidents(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        first, second = await stack.open_form(), await stack.open_form()
        await asyncio.gather(
            stack.submit(first, title="Payments down"), stack.submit(second, title="Search down")
        )
        incidents = await asyncio.gather(
            stack.declared(stack.workflow_id(first)), stack.declared(stack.workflow_id(second))
        )

        assert sorted(incident.number or 0 for incident in incidents) == [1, 2]
        for incident in incidents:
            assert stack.artifact_counts(incident) == ONCE
