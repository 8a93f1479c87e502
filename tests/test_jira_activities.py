"""Jira activities against the Jira fake: one issue per incident whatever fails, comments once,
close, follow-ups linked once, and each error classified for Temporal."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.clients import jira_client
from activities.jira import NOT_CONFIGURED, PRIVATE_LEFT_OUT, JiraActivities
from activities.tracking_types import (
    CloseIssueInput,
    CommentIssueInput,
    EnsureIssueInput,
    FollowupInput,
)
from activities.vendor_errors import RATE_LIMITED, REFUSED
from fireline.integrations import JiraConfig
from tests.fakes.jira import FakeJira

ISSUE = EnsureIssueInput(
    incident_id="incident-T0FAKE-V123",
    number=7,
    title="Checkout is down",
    severity="SEV1",
    private=False,
    channel_url="https://fake.slack.com/archives/C1",
    workflow_url="http://localhost:8233/namespaces/default/workflows/incident-T0FAKE-V123",
)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeJira]:
    with FakeJira() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeJira) -> FakeJira:
    server.reset()
    server.add_project("FIRE")
    server.add_project("SEC")
    return server


def config(fake: FakeJira, **changes: Any) -> JiraConfig:
    base = JiraConfig(
        url=fake.base_url,
        username=fake.username,
        api_token=fake.api_token,
        project="FIRE",
        issue_type="Task",
        done_transition="Done",
        private_project=None,
        cloud=True,
    )
    return dataclasses.replace(base, **changes)


def activities(fake: FakeJira, **changes: Any) -> JiraActivities:
    settings = config(fake, **changes)
    return JiraActivities(jira_client(settings), settings)


def attempt(number: int) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=number)
    return env


async def test_one_issue_whatever_is_retried(fake: FakeJira) -> None:
    jira = activities(fake)
    fake.faults.add("issue.create", kind="drop_after_effect", times=1)
    with pytest.raises(requests.ConnectionError):
        await attempt(1).run(jira.ensure_issue, ISSUE)
    first = await attempt(2).run(jira.ensure_issue, ISSUE)
    again = await attempt(1).run(jira.ensure_issue, ISSUE)
    assert first.ref is not None and again.ref == first.ref
    assert first.ref.url == f"{fake.base_url}/browse/FIRE-1"
    [issue] = fake.issues()
    assert issue["summary"] == "INC-7: Checkout is down"
    assert issue["labels"] == ["fireline", "fireline-incident-T0FAKE-V123"]
    assert ISSUE.channel_url in issue["description"] and ISSUE.workflow_url in issue["description"]
    assert {call.path for call in fake.calls("search.jql")} == {"/rest/api/3/search/jql"}


async def test_private_incidents_stay_out_of_the_shared_project(fake: FakeJira) -> None:
    private = ISSUE.model_copy(update={"private": True})
    skipped = await attempt(1).run(activities(fake).ensure_issue, private)
    assert skipped.ref is None and skipped.skipped == PRIVATE_LEFT_OUT
    made = await attempt(1).run(activities(fake, private_project="SEC").ensure_issue, private)
    assert made.ref is not None and made.ref.external_id == "SEC-1"
    assert fake.issues("FIRE") == []
    off = await attempt(1).run(JiraActivities(None, None).ensure_issue, ISSUE)
    assert off.skipped == NOT_CONFIGURED


async def test_errors_are_classified(fake: FakeJira) -> None:
    refused = activities(fake, project="NOPE")
    with pytest.raises(ApplicationError) as info:
        await attempt(1).run(refused.ensure_issue, ISSUE)
    assert info.value.type == REFUSED and info.value.non_retryable
    assert "NOPE" in str(info.value)
    fake.faults.add("search.jql", kind="ratelimited", retry_after=12, times=1)
    with pytest.raises(ApplicationError) as info:
        await attempt(1).run(activities(fake).ensure_issue, ISSUE)
    assert info.value.type == RATE_LIMITED and not info.value.non_retryable
    assert info.value.next_retry_delay == timedelta(seconds=12)
    fake.faults.add("search.jql", kind="http_error", status=502, times=1)
    with pytest.raises(requests.HTTPError):  # transient: Temporal retries it as it is
        await attempt(1).run(activities(fake).ensure_issue, ISSUE)
    assert fake.issues() == []


async def test_comment_once_and_close(fake: FakeJira) -> None:
    jira = activities(fake)
    made = await attempt(1).run(jira.ensure_issue, ISSUE)
    assert made.ref is not None
    key = made.ref.external_id
    comment = CommentIssueInput(key=key, text="Status: mitigated", marker="event:3")
    fake.faults.add("issue.comment", kind="drop_after_effect", times=1)
    with pytest.raises(requests.ConnectionError):
        await attempt(1).run(jira.comment, comment)
    await attempt(2).run(jira.comment, comment)
    assert fake.issues()[0]["comments"] == ["Status: mitigated\n[fireline event:3]"]
    await attempt(1).run(jira.close, CloseIssueInput(key=key))
    await attempt(2).run(jira.close, CloseIssueInput(key=key))  # already Done: done
    assert fake.issues()[0]["status"] == {"name": "Done"}
    with pytest.raises(ApplicationError, match="JIRA_DONE_TRANSITION") as info:
        await attempt(1).run(
            activities(fake, done_transition="Shipped").close, CloseIssueInput(key=key)
        )
    assert info.value.non_retryable


async def test_followup_created_and_linked_once(fake: FakeJira) -> None:
    jira = activities(fake)
    made = await attempt(1).run(jira.ensure_issue, ISSUE)
    assert made.ref is not None
    followup = FollowupInput(
        incident_id=ISSUE.incident_id,
        number=7,
        parent_key=made.ref.external_id,
        text="Add an index on orders.created_at",
        marker="event:9",
    )
    fake.faults.add("issue.link", kind="drop_after_effect", times=1)
    with pytest.raises(requests.ConnectionError):
        await attempt(1).run(jira.create_followup, followup)
    ref = await attempt(2).run(jira.create_followup, followup)
    assert ref.kind == "jira_followup" and ref.external_id == "FIRE-2"
    parent, child = fake.issues()
    assert parent["links"] == [
        {"type": {"name": "Relates", "outward": "relates to"}, "outwardIssue": {"key": "FIRE-2"}}
    ]
    assert child["summary"] == followup.text and len(fake.issues()) == 2
