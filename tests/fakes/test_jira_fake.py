"""The Jira fake, driven by the real atlassian-python-api client (its own retries off)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from atlassian import Jira
from requests import HTTPError

from tests.fakes.jira import FakeJira
from tests.helpers import eventually


@pytest.fixture(scope="module")
def server() -> Iterator[FakeJira]:
    with FakeJira() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeJira) -> FakeJira:
    server.reset()
    server.cloud = True
    server.add_project("FIRE")
    return server


def client(fake: FakeJira, *, cloud: bool = True, timeout: int = 5) -> Jira:
    return Jira(
        url=fake.base_url,
        username=fake.username,
        password=fake.api_token,
        cloud=cloud,
        timeout=timeout,
        backoff_and_retry=False,
        retry_with_header=False,
    )


def create(jira: Jira, summary: str, *labels: str) -> str:
    fields = {
        "project": {"key": "FIRE"},
        "summary": summary,
        "issuetype": {"name": "Task"},
        "labels": ["fireline", *labels],
        "description": "channel and Temporal links",
    }
    return str(jira.issue_create(fields)["key"])


def status_of(error: HTTPError) -> int:
    assert error.response is not None
    return error.response.status_code


def test_create_find_by_label_comment_transition_link(fake: FakeJira) -> None:
    jira = client(fake)
    key = create(jira, "INC-1: db down", "fireline-incident-abc")
    create(jira, "INC-2: other", "fireline-incident-def")
    found = jira.enhanced_jql(
        'project = FIRE AND labels = "fireline-incident-abc"', fields="summary"
    )
    assert [issue["key"] for issue in found["issues"]] == [key]
    assert found["isLast"] is True
    assert fake.calls("search.jql")[0].path == "/rest/api/3/search/jql"
    jira.issue_add_comment(key, "Status: mitigated")
    assert [t["name"] for t in jira.get_issue_transitions(key)] == ["In Progress", "Done"]
    jira.set_issue_status(key, "Done")
    followup = create(jira, "Follow-up: add an index")
    jira.create_issue_link(
        {
            "type": {"name": "Relates"},
            "inwardIssue": {"key": key},
            "outwardIssue": {"key": followup},
        }
    )
    issue = jira.get_issue(key, fields="summary,status,issuelinks")
    assert issue["fields"]["status"] == {"name": "Done"}
    assert issue["fields"]["issuelinks"][0]["outwardIssue"] == {"key": followup}
    [stored, *_] = fake.issues("FIRE")
    assert stored["comments"] == ["Status: mitigated"] and stored["labels"][0] == "fireline"
    with pytest.raises(HTTPError) as info:
        jira.set_issue_status(key, "Done")  # already there: no such transition
    assert status_of(info.value) == 400


def test_jql_pages_with_next_page_token(fake: FakeJira) -> None:
    jira = client(fake)
    keys = [create(jira, f"issue {n}", "many") for n in range(7)]
    seen, token = [], None
    while True:
        page = jira.enhanced_jql("labels = many", fields="summary", nextPageToken=token, limit=3)
        seen += [issue["key"] for issue in page["issues"]]
        token = page.get("nextPageToken")
        if page["isLast"]:
            assert token is None
            break
    assert seen == keys


def test_cloud_retired_search_is_gone_and_server_keeps_it(fake: FakeJira) -> None:
    create(client(fake), "one")
    with pytest.raises(HTTPError) as info:
        client(fake, cloud=False).jql("project = FIRE")
    assert status_of(info.value) == 410 and "search/jql" in str(info.value)
    fake.cloud = False
    answer = client(fake, cloud=False).jql("project = FIRE", limit=10)
    assert answer["total"] == 1 and answer["startAt"] == 0
    with pytest.raises(ValueError, match="only available for Jira Cloud"):
        client(fake, cloud=False).enhanced_jql("project = FIRE")


def test_refusals(fake: FakeJira) -> None:
    jira = client(fake)
    with pytest.raises(HTTPError, match="valid project is required"):
        jira.issue_create(
            {"project": {"key": "NOPE"}, "summary": "s", "issuetype": {"name": "Task"}}
        )
    with pytest.raises(HTTPError, match="does not exist for the field 'project'"):
        jira.enhanced_jql("project = NOPE")
    wrong = Jira(url=fake.base_url, username=fake.username, password="wrong", cloud=True)
    with pytest.raises(HTTPError) as info:
        create(wrong, "x")
    assert status_of(info.value) == 401
    fake.faults.add("issue.create", kind="error", status=403, error="You cannot create issues")
    with pytest.raises(HTTPError, match="You cannot create issues") as info:
        create(jira, "x")
    assert status_of(info.value) == 403 and fake.issues() == []


def test_faults(fake: FakeJira) -> None:
    jira = client(fake, timeout=1)
    fake.faults.add("issue.create", kind="ratelimited", retry_after=30, times=1)
    with pytest.raises(HTTPError) as info:
        create(jira, "x")
    assert status_of(info.value) == 429
    assert info.value.response is not None and info.value.response.headers["Retry-After"] == "30"
    fake.faults.add("issue.create", kind="http_error", status=503, times=1)
    with pytest.raises(HTTPError) as info:
        create(jira, "x")
    assert status_of(info.value) == 503
    fake.faults.add("*", kind="outage", times=1)
    with pytest.raises(requests.ConnectionError):
        create(jira, "x")
    assert fake.issues() == []
    fake.faults.add("issue.create", kind="drop_after_effect", times=1)
    with pytest.raises(requests.ConnectionError):
        create(jira, "x")
    assert len(fake.issues()) == 1  # made, though the client never heard


async def test_latency_past_the_client_timeout_does_nothing(fake: FakeJira) -> None:
    fake.faults.add("issue.create", kind="latency", seconds=1.5, times=1)
    with pytest.raises(requests.Timeout):
        create(client(fake, timeout=1), "slow")
    gone = await eventually(lambda: fake.calls("issue.create"))
    assert gone[0].fault == "client_gone" and fake.issues() == []
