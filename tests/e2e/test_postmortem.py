"""The postmortem doc and the Jira issue end to end: the real bot and worker on the Temporal dev
server and PostgreSQL, with the Slack, Notion, Confluence and Jira fakes driven by the real
clients."""

from __future__ import annotations

import logging
import signal
from typing import Any

import psycopg
from temporalio.testing import WorkflowEnvironment

from fireline.models import IncidentSnapshot
from tests.fakes.confluence import FakeConfluence
from tests.fakes.jira import FakeJira
from tests.fakes.notion import FakeNotion
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.stack import COMMANDER, LOOKER, REPORTER, Stack, fireline_stack, worker_process
from workflows.incident import IncidentWorkflow

logging.getLogger("fireline.notion").setLevel(logging.CRITICAL)
SCHEMA = {"Name": "title", "Incident ID": "rich_text", "Severity": "select", "Status": "select"}


def jira_settings(jira: FakeJira) -> dict[str, str]:
    return {
        "jira_url": jira.base_url,
        "jira_username": jira.username,
        "jira_api_token": jira.api_token,
        "jira_project": "FIRE",
    }


def notion_settings(notion: FakeNotion) -> dict[str, str]:
    return {
        "notion_token": notion.token,
        "notion_postmortem_database_id": notion.add_database("Postmortems", SCHEMA),
        "notion_base_url": notion.base_url,
    }


def confluence_settings(confluence: FakeConfluence) -> dict[str, str]:
    return {
        "confluence_url": confluence.url,
        "confluence_username": confluence.username,
        "confluence_api_token": confluence.api_token,
        "confluence_space": "OPS",
    }


async def linked(stack: Stack, workflow_id: str, count: int) -> IncidentSnapshot:
    await stack.declared(workflow_id, timeout=60)

    async def probe() -> IncidentSnapshot | None:
        incident = await stack.handle(workflow_id).query(IncidentWorkflow.get_incident)
        return incident if len(incident.links) >= count else None

    return await eventually(probe, timeout=60)


async def recorded_links(database_url: str, incident_id: str) -> list[tuple[str, str]]:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute(
            "SELECT kind, external_id FROM incident_links WHERE incident_id = %s ORDER BY kind",
            (incident_id,),
        )
        return [(str(kind), str(key)) for kind, key in await cursor.fetchall()]


def timeline(notion: FakeNotion, page_id: str) -> list[str]:
    text = notion.text(page_id)
    return text[text.index("Timeline") + 1 : text.index("Root cause")]


async def test_sev1_with_notion_and_jira(
    slack: FakeSlack,
    dev_server: WorkflowEnvironment,
    database_url: str,
    jira: FakeJira,
    notion: FakeNotion,
) -> None:
    settings = {**jira_settings(jira), **notion_settings(notion)}
    async with fireline_stack(slack, dev_server.client, database_url, **settings) as stack:
        workflow_id = await stack.declare(severity="SEV1", title="Payments down")
        incident = await linked(stack, workflow_id, 2)
        assert incident.channel is not None
        channel = incident.channel.id
        page = next(link for link in incident.links if link.kind == "notion_page")
        marks = await eventually(
            lambda: len(slack.bookmarks(channel)) >= 3 and slack.bookmarks(channel)
        )
        assert {"Postmortem", "Jira FIRE-1"} <= {mark["title"] for mark in marks}
        summary = stack.tagged(channel, workflow_id, "summary")[0]
        await eventually(
            lambda: "Jira FIRE-1" in str(stack.tagged(channel, workflow_id, "summary"))
        )
        assert summary["ts"]

        async def both_recorded() -> list[tuple[str, str]]:
            rows = await recorded_links(database_url, workflow_id)
            return rows if len(rows) == 2 else []

        assert await eventually(both_recorded) == [
            ("jira_issue", "FIRE-1"),
            ("notion_page", page.external_id),
        ]

        # People talk in the channel, in a thread too; then the incident is resolved.
        said = slack.add_message(channel, "p99 latency <https://grafana/x|graph>", user=LOOKER)
        slack.add_message(channel, "looking at <@UCOMMANDER>", user=REPORTER, thread_ts=said)
        await stack.command("status resolved rolled back", channel, user_id=COMMANDER)
        lines = await eventually(
            lambda: (
                any("-> resolved" in line for line in timeline(notion, page.external_id))
                and timeline(notion, page.external_id)
            ),
            timeout=60,
        )
        assert any(" · lou · p99 latency graph (https://grafana/x)" in line for line in lines), (
            lines
        )
        assert any("↳" in line and "looking at @carl" in line for line in lines)
        assert any("Status investigating -> resolved: rolled back" in line for line in lines)

        # A refresh writes the same timeline: nothing twice. (The fill ends with the header.)
        await eventually(
            lambda: any(
                line.startswith("Time to resolve") for line in notion.text(page.external_id)
            )
        )
        updates = len(notion.calls("pages.update"))
        await stack.command("postmortem", channel)
        await eventually(lambda: len(notion.calls("pages.update")) > updates, timeout=60)
        assert timeline(notion, page.external_id) == lines

        await stack.command("followup Alert on payment latency", channel)
        await eventually(lambda: len(jira.issues()) == 2, timeout=60)
        await eventually(
            lambda: any("FIRE-2" in line for line in notion.text(page.external_id)), timeout=60
        )
        issue, followup = jira.issues()
        assert issue["links"][0]["outwardIssue"] == {"key": "FIRE-2"}
        assert followup["summary"] == "Alert on payment latency"
        # The comment names the commander as Slack does, not by their Slack id.
        assert any(
            c.startswith("Status: investigating -> resolved (by carl): rolled back")
            for c in issue["comments"]
        )
        assert len(notion.pages()) == 1

        # A private incident: nothing in the shared space or project.
        private = await stack.declare(severity="SEV1", title="Secret", private=True)
        quiet = await stack.declared(private)
        left = await eventually(lambda: _left_out(stack, private, 2), timeout=30)
        assert quiet.declaration.private and len(left) == 2
        assert len(jira.issues()) == 2 and len(notion.pages()) == 1


async def _left_out(stack: Stack, workflow_id: str, count: int) -> list[str]:
    incident = await stack.handle(workflow_id).query(IncidentWorkflow.get_incident)
    return incident.left_out if len(incident.left_out) >= count else []


async def test_confluence_and_jira_through_faults_make_one_of_each(
    slack: FakeSlack,
    dev_server: WorkflowEnvironment,
    database_url: str,
    jira: FakeJira,
    confluence: FakeConfluence,
) -> None:
    for fake, create in ((jira, "issue.create"), (confluence, "content.create")):
        fake.faults.add(create, kind="http_error", status=503, times=2)
        fake.faults.add(create, kind="ratelimited", retry_after=1, times=1)
        fake.faults.add("*", kind="outage", times=2)
        fake.faults.add(create, kind="drop_after_effect", times=1)
    settings = {**jira_settings(jira), **confluence_settings(confluence)}
    async with fireline_stack(slack, dev_server.client, database_url, **settings) as stack:
        workflow_id = await stack.declare(severity="SEV2")
        incident = await linked(stack, workflow_id, 2)
    assert sorted(link.kind for link in incident.links) == ["confluence_page", "jira_issue"]
    assert len(jira.issues()) == 1 and len(confluence.pages("OPS")) == 1
    assert [c.fault for c in jira.calls("issue.create")].count("drop_after_effect") == 1


async def test_worker_killed_right_after_the_create_calls(
    slack: FakeSlack,
    dev_server: WorkflowEnvironment,
    database_url: str,
    jira: FakeJira,
    notion: FakeNotion,
) -> None:
    settings: dict[str, Any] = {**jira_settings(jira), **notion_settings(notion)}
    # Both creates take effect and their answers never come back; the worker dies meanwhile.
    jira.faults.add("issue.create", kind="drop_after_effect", times=1)
    notion.faults.add("pages.create", kind="drop_after_effect", times=1)
    async with fireline_stack(
        slack, dev_server.client, database_url, run_worker=False, **settings
    ) as stack:
        env = {name.upper(): value for name, value in settings.items()}
        worker = worker_process(stack, **env)
        try:
            workflow_id = await stack.declare(severity="SEV1")
            await eventually(lambda: jira.issues() and notion.pages(), timeout=60)
            worker.send_signal(signal.SIGKILL)
            assert worker.wait(timeout=10) == -signal.SIGKILL
            worker = worker_process(stack, **env)
            incident = await linked(stack, workflow_id, 2)
        finally:
            worker.kill()
            worker.wait()
    assert len(jira.issues()) == 1 and len(notion.pages()) == 1
    assert sorted(link.kind for link in incident.links) == ["jira_issue", "notion_page"]
