"""Declaring an incident end to end: signed Slack requests in, the Slack fake, the dev server
and PostgreSQL."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from fireline.db.queries import fetch_incident
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.stack import COMMANDER, REPORTER, fireline_stack


async def test_slash_command_opens_the_declaration_modal(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url, run_worker=False) as stack:
        view = await stack.open_form()

    modal = view["view"]
    assert modal["callback_id"] == "declare_incident"
    blocks = {block["block_id"]: block for block in modal["blocks"]}
    assert {"title", "severity", "description", "impact", "commander", "private"} <= set(blocks)
    severities = [option["value"] for option in blocks["severity"]["element"]["options"]]
    assert severities == ["SEV1", "SEV2", "SEV3", "SEV4"]
    assert blocks["commander"]["element"]["initial_user"] == REPORTER


async def test_submission_declares_the_incident_everywhere(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        workflow_id = await stack.declare(
            title="Checkout is failing",
            severity="SEV1",
            commander=COMMANDER,
            description="Payments API answers 502 since 14:02",
            impact="No orders",
        )
        incident = await stack.declared(workflow_id)

        assert incident.number is not None and incident.channel is not None
        channel = slack.channel_by_id(incident.channel.id)
        assert channel is not None
        assert channel["name"] == f"inc-{incident.number}-checkout-is-failing"
        assert not channel["is_private"]
        assert {REPORTER, COMMANDER} <= set(channel["members"])
        assert incident.problems == []

        summary = [m for m in slack.messages(channel["id"]) if m["ts"] == incident.summary_ts]
        assert len(summary) == 1
        assert slack.pins(channel["id"]) == [incident.summary_ts]
        assert "Checkout is failing" in str(summary[0]["blocks"])
        assert channel["topic"].startswith("SEV1 (critical) · investigating")
        assert channel["purpose"] == "Payments API answers 502 since 14:02"
        assert [b["link"] for b in slack.bookmarks(channel["id"])] == [incident.workflow_url]

        feed_posts = [m for m in slack.messages(stack.feed) if m.get("metadata")]
        assert [m["ts"] for m in feed_posts] == [incident.feed_ts]

        dm = slack.dm_channel(REPORTER)
        assert dm is not None
        assert len(slack.messages(dm)) == 1
        assert f"<#{channel['id']}>" in str(slack.messages(dm)[0]["blocks"])

        row = await eventually(lambda: fetch_incident(database_url, workflow_id))
        assert row["number"] == incident.number
        assert row["severity"] == "SEV1"
        assert row["channel_id"] == channel["id"]
        assert {(p["role"], p["user_id"]) for p in row["people"]} == {
            ("reporter", REPORTER),
            ("commander", COMMANDER),
        }
        assert [event["event_key"] for event in row["timeline"]] == ["declared"]

        assert incident.channel is not None
        query = (
            f"IncidentNumber = {incident.number} AND IncidentSeverity = 'SEV1' "
            f"AND IncidentStatus = 'investigating' AND IncidentChannel = '{incident.channel.id}'"
        )

        async def found() -> list[str]:
            return [wf.id async for wf in stack.temporal.list_workflows(query)]

        assert await eventually(found) == [workflow_id]
