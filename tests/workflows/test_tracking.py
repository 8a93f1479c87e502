"""The postmortem doc and the Jira issue on the time-skipping server: Slack and the record are
stand-ins, the Jira and doc activities are the real ones against the Jira and Notion fakes."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.clients import jira_client, notion_client
from activities.jira import JiraActivities
from activities.notion_doc import NotionDocs
from activities.postmortem_doc import PostmortemDocActivities
from fireline import signals
from fireline.integrations import JiraConfig, NotionConfig
from fireline.models import DeclareIncidentInput, IncidentSnapshot, IncidentStatus, TrackingPlan
from tests.fakes.jira import FakeJira
from tests.fakes.notion import FakeNotion
from tests.helpers import eventually
from tests.workflows.test_incident_workflow import FakeActivities, declare_input
from workflows.incident import IncidentWorkflow
from workflows.incident.tracking import PRIVATE_NO_DOC, PRIVATE_NO_ISSUE

logging.getLogger("fireline.notion").setLevel(logging.CRITICAL)
Handle = WorkflowHandle[IncidentWorkflow, IncidentSnapshot]
PLAN = TrackingPlan(doc_backend="notion", jira=True)
SCHEMA = {"Name": "title", "Incident ID": "rich_text", "Status": "select"}


@pytest.fixture(scope="module")
def jira_server() -> Iterator[FakeJira]:
    with FakeJira() as fake:
        yield fake


@pytest.fixture(scope="module")
def notion_server() -> Iterator[FakeNotion]:
    with FakeNotion() as fake:
        yield fake


@pytest.fixture
def jira(jira_server: FakeJira) -> FakeJira:
    jira_server.reset()
    jira_server.add_project("FIRE")
    return jira_server


@pytest.fixture
def notion(notion_server: FakeNotion) -> FakeNotion:
    notion_server.reset()
    return notion_server


@asynccontextmanager
async def running(
    env: WorkflowEnvironment,
    fakes: FakeActivities,
    jira: FakeJira,
    notion: FakeNotion,
    input: DeclareIncidentInput,
    *,
    database: str | None = None,
) -> AsyncIterator[Handle]:
    database = database or notion.add_database("Postmortems", SCHEMA)
    jira_config = JiraConfig(
        jira.base_url, jira.username, jira.api_token, "FIRE", "Task", "Done", None, True
    )
    tickets = JiraActivities(jira_client(jira_config), jira_config)
    client = notion_client(NotionConfig(notion.token, database, notion.base_url))
    docs = PostmortemDocActivities(NotionDocs(client, database))
    activities: list[Any] = [
        *fakes.all(),
        tickets.ensure_issue,
        tickets.comment,
        tickets.close,
        docs.ensure_doc,
        docs.update_header,
    ]
    queue = f"tq-{uuid.uuid4()}"
    async with Worker(
        env.client, task_queue=queue, workflows=[IncidentWorkflow], activities=activities
    ):
        yield await env.client.start_workflow(
            IncidentWorkflow.run, input, id=input.incident_id, task_queue=queue
        )
    await client.aclose()


def tracked(level: str = "SEV2", *, private: bool = False) -> DeclareIncidentInput:
    input = declare_input(private=private)
    assert input.policy is not None
    severity = input.policy.level(level)
    assert severity is not None
    input.severity = severity
    input.declaration.severity = level
    input.tracking = PLAN
    return input


async def incident_when(handle: Handle, check: Any) -> IncidentSnapshot:
    async def probe() -> IncidentSnapshot | None:
        incident = await handle.query(IncidentWorkflow.get_incident)
        return incident if check(incident) else None

    return await eventually(probe)


def kinds(incident: IncidentSnapshot) -> list[str]:
    return [link.kind for link in incident.links]


async def test_declared_sev2_gets_one_doc_and_one_issue_kept_in_step(
    time_skipping: WorkflowEnvironment, jira: FakeJira, notion: FakeNotion
) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes, jira, notion, tracked()) as handle:
        incident = await incident_when(handle, lambda i: len(i.links) == 2)
        assert sorted(kinds(incident)) == ["jira_issue", "notion_page"]
        await eventually(lambda: fakes.records and len(fakes.records[-1].links) == 2)
        summaries = [m for m in fakes.messages if m.step == "summary"]
        await eventually(lambda: "Jira FIRE-1" in str([m.blocks for m in fakes.messages]))
        await handle.signal(
            signals.CHANGE_STATUS,
            signals.ChangeStatusInput(status="mitigated", by="UB", note="rolled back"),
        )
        await eventually(lambda: jira.issues()[0]["comments"])
        await eventually(
            lambda: notion.pages()[0]["properties"]["Status"]["select"] == {"name": "mitigated"}
        )
        await handle.signal(
            signals.CHANGE_STATUS, signals.ChangeStatusInput(status="closed", by="UB")
        )
        result = await handle.result()

    assert result.status is IncidentStatus.CLOSED
    [issue] = jira.issues()
    assert issue["summary"] == "INC-42: Checkout <!channel> down"
    assert issue["comments"][0].startswith(
        "Status: investigating -> mitigated (by UB): rolled back"
    )
    assert issue["status"] == {"name": "Done"}
    assert len(notion.pages()) == 1
    assert fakes.calls["bookmark"] >= 3  # Temporal, the doc, the issue
    assert summaries  # the summary was posted before being updated with the links


async def test_private_incident_makes_nothing_shared(
    time_skipping: WorkflowEnvironment, jira: FakeJira, notion: FakeNotion
) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes, jira, notion, tracked(private=True)) as handle:
        incident = await incident_when(handle, lambda i: len(i.left_out) == 2)
        await handle.signal(
            signals.CHANGE_STATUS, signals.ChangeStatusInput(status="closed", by="UB")
        )
        await handle.result()
    assert incident.left_out == [PRIVATE_NO_DOC, PRIVATE_NO_ISSUE]
    assert jira.calls() == [] and notion.calls() == []


async def test_promotion_makes_the_doc_the_new_level_wants(
    time_skipping: WorkflowEnvironment, jira: FakeJira, notion: FakeNotion
) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes, jira, notion, tracked("SEV3")) as handle:
        incident = await incident_when(handle, lambda i: i.links)
        assert kinds(incident) == ["jira_issue"] and notion.pages() == []
        await handle.signal(
            signals.CHANGE_SEVERITY, signals.ChangeSeverityInput(severity="SEV1", by="UB")
        )
        incident = await incident_when(handle, lambda i: len(i.links) == 2)
    assert kinds(incident) == ["jira_issue", "notion_page"]
    assert len(jira.issues()) == 1 and len(notion.pages()) == 1
    await eventually(lambda: any("SEV3 -> SEV1" in c for c in jira.issues()[0]["comments"]))


async def test_a_refused_doc_is_told_once_and_made_once_an_admin_fixes_it(
    time_skipping: WorkflowEnvironment, jira: FakeJira, notion: FakeNotion
) -> None:
    fakes = FakeActivities()
    database = notion.add_database("Postmortems", SCHEMA, shared=False)
    async with running(time_skipping, fakes, jira, notion, tracked(), database=database) as handle:
        await incident_when(handle, lambda i: kinds(i) == ["jira_issue"])
        await eventually(lambda: [m for m in fakes.messages if m.step == "tracking_refused:doc"])
        await time_skipping.sleep(timedelta(hours=2))  # four more refused tries, on timers
        notion.share(database)
        await time_skipping.sleep(timedelta(minutes=31))
        incident = await incident_when(handle, lambda i: len(i.links) == 2)
    told = [m for m in fakes.messages if m.step == "tracking_refused:doc"]
    assert len(told) == 1 and "shared with the integration" in str(told[0].blocks)
    assert len(notion.calls("databases.retrieve")) >= 5
    assert kinds(incident) == ["jira_issue", "notion_page"] and len(notion.pages()) == 1


async def test_without_integrations_nothing_is_asked(
    time_skipping: WorkflowEnvironment, jira: FakeJira, notion: FakeNotion
) -> None:
    fakes = FakeActivities()
    input = tracked()
    input.tracking = TrackingPlan()
    async with running(time_skipping, fakes, jira, notion, input) as handle:
        await incident_when(handle, lambda i: i.declaration_complete)
        await handle.signal(
            signals.CHANGE_STATUS, signals.ChangeStatusInput(status="closed", by="UB")
        )
        incident = await handle.result()
    assert incident.links == [] and incident.left_out == []
    assert jira.calls() == [] and notion.calls() == []
