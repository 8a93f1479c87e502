"""Running an incident end to end on the dev server: a change sent with the Temporal CLI, as an
operator would, reaches Slack, the search attributes and the record; a change sent while the
worker is down is applied when it returns."""

from __future__ import annotations

import json
from typing import Any

from temporalio.testing import WorkflowEnvironment

from fireline.db.queries import fetch_incident
from fireline.models import IncidentSnapshot, IncidentStatus
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.stack import REPORTER, Stack, cli_signal, fireline_stack, running_worker
from workflows.incident import IncidentWorkflow


async def status_is(stack: Stack, workflow_id: str, status: IncidentStatus) -> IncidentSnapshot:
    async def probe() -> IncidentSnapshot | None:
        incident = await stack.handle(workflow_id).query(IncidentWorkflow.get_incident)
        return incident if incident.status is status else None

    return await eventually(probe, timeout=30)


def bot_lines(stack: Stack, channel: str) -> list[str]:
    return [
        json.dumps(message.get("blocks"))
        for message in stack.fake.messages(channel)
        if message["user"] == stack.fake.bot_user_id
    ]


async def test_an_operators_signal_changes_the_incident_everywhere(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        workflow_id = await stack.declare(title="Checkout is failing", severity="SEV2")
        declared = await stack.declared(workflow_id)
        assert declared.channel is not None
        channel = declared.channel.id

        await cli_signal(
            stack,
            workflow_id,
            "change_status",
            {"status": "identified", "by": REPORTER, "note": "a bad deploy"},
        )
        incident = await status_is(stack, workflow_id, IncidentStatus.IDENTIFIED)

        said = await eventually(
            lambda: [line for line in bot_lines(stack, channel) if "moved" in line]
        )
        assert f"<@{REPORTER}> moved *{incident.reference}* from investigating" in said[0]
        assert "a bad deploy" in said[0]
        summary = next(m for m in slack.messages(channel) if m["ts"] == incident.summary_ts)
        assert "identified" in json.dumps(summary["blocks"])
        await eventually(lambda: "identified" in (slack.channel_by_id(channel) or {})["topic"])

        async def listed() -> list[str]:
            query = f"IncidentStatus = 'identified' AND IncidentChannel = '{channel}'"
            return [wf.id async for wf in stack.temporal.list_workflows(query)]

        assert await eventually(listed) == [workflow_id]

        async def recorded() -> dict[str, Any] | None:
            row = await fetch_incident(database_url, workflow_id)
            return row if row and row["status"] == "identified" else None

        row = await eventually(recorded)
        (change,) = [event for event in row["timeline"] if event["kind"] == "status_changed"]
        assert (change["old_value"], change["new_value"]) == ("investigating", "identified")
        assert change["actor_id"] == REPORTER and change["text"] == "a bad deploy"
        assert row["identified_at"] is not None


async def test_a_change_sent_while_the_worker_is_down_applies_when_it_returns(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url, run_worker=False) as stack:
        async with running_worker(stack.temporal, stack.settings, database_url):
            workflow_id = await stack.declare(title="Queue backlog", severity="SEV3")
            declared = await stack.declared(workflow_id)
        assert declared.channel is not None

        # The worker is gone: the signal waits in Temporal.
        await cli_signal(stack, workflow_id, "add_note", {"text": "paged the DBA", "by": REPORTER})
        async with running_worker(stack.temporal, stack.settings, database_url):
            noted = await eventually(
                lambda: [
                    line
                    for line in bot_lines(stack, declared.channel.id)
                    if "paged the DBA" in line
                ]
            )
    assert len(noted) == 1
