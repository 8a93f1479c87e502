"""The incident workflow with its tracking on, on the time-skipping server: Slack and the record
are stand-ins (FakeActivities), the Jira and postmortem doc activities are the real ones against
the Jira fake and the Notion or Confluence fake."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from temporalio import activity
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.clients import confluence_client, jira_client, notion_client
from activities.confluence_doc import ConfluenceDocs
from activities.jira import JiraActivities
from activities.notion_doc import NotionDocs
from activities.postmortem_doc import DocBackend, PostmortemDocActivities
from activities.tracking_types import (
    Transcript,
    TranscriptInput,
    TranscriptMessage,
    UserNames,
    UserNamesInput,
)
from fireline.integrations import ConfluenceConfig, JiraConfig, NotionConfig
from fireline.models import DeclareIncidentInput, IncidentSnapshot, TrackingPlan
from tests.fakes.confluence import FakeConfluence
from tests.fakes.jira import FakeJira
from tests.fakes.notion import FakeNotion
from tests.helpers import eventually
from tests.workflows.test_incident_workflow import FakeActivities, declare_input
from workflows.incident import IncidentWorkflow

logging.getLogger("fireline.notion").setLevel(logging.CRITICAL)
Handle = WorkflowHandle[IncidentWorkflow, IncidentSnapshot]
SCHEMA = {"Name": "title", "Incident ID": "rich_text", "Status": "select"}
DocFake = FakeNotion | FakeConfluence


@asynccontextmanager
async def running(
    env: WorkflowEnvironment,
    fakes: FakeActivities,
    jira: FakeJira,
    docs_fake: DocFake,
    input: DeclareIncidentInput,
    *,
    database: str | None = None,
    people: People | None = None,
) -> AsyncIterator[Handle]:
    """A worker with the real tracking activities, and the incident started on it."""
    jira_config = JiraConfig(
        jira.base_url, jira.username, jira.api_token, "FIRE", "Task", "Done", None, True
    )
    tickets = JiraActivities(jira_client(jira_config), jira_config)
    notion_api = None
    backend: DocBackend
    if isinstance(docs_fake, FakeNotion):
        database = database or docs_fake.add_database("Postmortems", SCHEMA)
        notion_api = notion_client(NotionConfig(docs_fake.token, database, docs_fake.base_url))
        backend = NotionDocs(notion_api, database)
    else:
        config = ConfluenceConfig(
            docs_fake.url, docs_fake.username, docs_fake.api_token, "OPS", None
        )
        backend = ConfluenceDocs(confluence_client(config), config)
    docs = PostmortemDocActivities(backend)
    activities: list[Any] = [
        *fakes.all(),
        tickets.ensure_issue,
        tickets.comment,
        tickets.close,
        tickets.create_followup,
        docs.ensure_doc,
        docs.update_header,
        docs.write_section,
        channel_transcript,
        (people or People()).activity(),
    ]
    queue = f"tq-{uuid.uuid4()}"
    try:
        async with Worker(
            env.client, task_queue=queue, workflows=[IncidentWorkflow], activities=activities
        ):
            yield await env.client.start_workflow(
                IncidentWorkflow.run, input, id=input.incident_id, task_queue=queue
            )
    finally:
        if notion_api is not None:
            await notion_api.aclose()


@activity.defn(name="channel_transcript")
async def channel_transcript(input: TranscriptInput) -> Transcript:
    """The channel as the Slack activity reads it (tested against the Slack fake on its own)."""
    at = input.oldest + timedelta(minutes=3)
    return Transcript(
        messages=[
            TranscriptMessage(at=at, author="alice", text="db latency is up (https://grafana/x)"),
            TranscriptMessage(at=at + timedelta(minutes=5), author="bob", text="on it", reply=True),
            TranscriptMessage(at=at + timedelta(minutes=1), author="carol", text="rolling back"),
        ],
        names={user: f"name-of-{user}" for user in input.user_ids},
    )


class People:
    """Slack's names for people (`name-of-<id>`, as channel_transcript gives them), or Slack
    down when `reachable` is False; `asked` lists every lookup."""

    def __init__(self, *, reachable: bool = True) -> None:
        self.reachable = reachable
        self.asked: list[list[str]] = []

    def activity(self) -> Any:
        @activity.defn(name="user_names")
        async def user_names(input: UserNamesInput) -> UserNames:
            self.asked.append(input.user_ids)
            if not self.reachable:
                raise ConnectionError("Slack is unreachable")
            return UserNames(names={user: f"name-of-{user}" for user in input.user_ids})

        return user_names


def tracked(
    level: str = "SEV2", *, private: bool = False, doc_backend: str = "notion"
) -> DeclareIncidentInput:
    input = declare_input(private=private)
    assert input.policy is not None
    severity = input.policy.level(level)
    assert severity is not None
    input.severity = severity
    input.declaration.severity = level
    input.tracking = TrackingPlan(doc_backend=doc_backend, jira=True)
    return input


async def incident_when(handle: Handle, check: Any) -> IncidentSnapshot:
    async def probe() -> IncidentSnapshot | None:
        incident = await handle.query(IncidentWorkflow.get_incident)
        return incident if check(incident) else None

    return await eventually(probe)


def kinds(incident: IncidentSnapshot) -> list[str]:
    return [link.kind for link in incident.links]
