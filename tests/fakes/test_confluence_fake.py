"""The Confluence fake, driven by the real atlassian-python-api client (its own retries off)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from atlassian.confluence import ConfluenceServer
from atlassian.errors import ApiPermissionError
from requests import HTTPError

from tests.fakes.confluence import FakeConfluence


@pytest.fixture(scope="module")
def server() -> Iterator[FakeConfluence]:
    with FakeConfluence() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeConfluence) -> FakeConfluence:
    server.reset()
    server.add_space("OPS", "Operations")
    return server


@pytest.fixture
def confluence(fake: FakeConfluence) -> ConfluenceServer:
    return ConfluenceServer(
        url=fake.url,
        username=fake.username,
        password=fake.api_token,
        timeout=5,
        backoff_and_retry=False,
        retry_with_header=False,
    )


def status_of(error: HTTPError) -> int:
    assert error.response is not None
    return error.response.status_code


def test_create_find_by_title_and_cql(fake: FakeConfluence, confluence: ConfluenceServer) -> None:
    parent = fake.add_page("OPS", "Postmortems")
    page = confluence.create_page(
        "OPS", "INC-1: db down - Postmortem", "<h2>Summary</h2>", parent_id=parent
    )
    assert page["_links"]["webui"].startswith("/spaces/OPS/pages/")
    # This client version answers with the listing itself.
    [found] = confluence.get_page_by_title(
        "OPS", "INC-1: db down - Postmortem", expand="version,body.storage"
    )["results"]
    assert found["id"] == page["id"] and found["body"]["storage"]["value"] == "<h2>Summary</h2>"
    assert confluence.get_page_by_title("OPS", "nothing")["results"] == []
    confluence.set_page_label(page["id"], "fireline-incident-abc")
    hits = confluence.cql('space = "OPS" AND label = "fireline-incident-abc"', limit=10)
    assert [hit["content"]["id"] for hit in hits["results"]] == [page["id"]]
    assert confluence.cql(f"ancestor = {parent} AND type = page")["totalSize"] == 1
    with pytest.raises(HTTPError, match="A page with this title already exists") as info:
        confluence.create_page("OPS", "INC-1: db down - Postmortem", "<p>again</p>")
    assert status_of(info.value) == 400 and len(fake.pages("OPS")) == 2


def test_update_needs_the_next_version(fake: FakeConfluence, confluence: ConfluenceServer) -> None:
    page_id = fake.add_page("OPS", "INC-2 - Postmortem", "<p>v1</p>")
    confluence.update_page(page_id, "INC-2 - Postmortem", "<p>v2</p>")
    assert fake.pages()[0]["version"] == 2
    fake.edit(page_id, "<p>a person's edit</p>")  # version 3, meanwhile
    stale = {
        "id": page_id,
        "type": "page",
        "title": "INC-2 - Postmortem",
        "version": {"number": 3},
        "body": {"storage": {"value": "<p>mine</p>", "representation": "storage"}},
    }
    with pytest.raises(HTTPError, match="Current version is: 3") as info:
        confluence.put(f"rest/api/content/{page_id}", data=stale)
    assert status_of(info.value) == 409
    assert fake.pages()[0]["body"] == "<p>a person's edit</p>"
    confluence.put(f"rest/api/content/{page_id}", data={**stale, "version": {"number": 4}})
    assert fake.pages()[0]["body"] == "<p>mine</p>"


def test_refusals_and_faults(fake: FakeConfluence, confluence: ConfluenceServer) -> None:
    # The client words a 404 on create as a permission problem; the 404 is its reason.
    with pytest.raises(ApiPermissionError) as refused:
        confluence.create_page("NOPE", "t", "")
    assert isinstance(refused.value.reason, HTTPError) and status_of(refused.value.reason) == 404
    wrong = ConfluenceServer(url=fake.url, username=fake.username, password="wrong")
    with pytest.raises(HTTPError) as info:
        wrong.create_page("OPS", "t", "")
    assert status_of(info.value) == 401
    fake.faults.add("content.create", kind="ratelimited", retry_after=9, times=1)
    with pytest.raises(HTTPError) as info:
        confluence.create_page("OPS", "t", "")
    assert status_of(info.value) == 429
    assert info.value.response is not None and info.value.response.headers["Retry-After"] == "9"
    fake.faults.add("content.create", kind="http_error", status=502, times=1)
    with pytest.raises(HTTPError):
        confluence.create_page("OPS", "t", "")
    fake.faults.add("*", kind="outage", times=1)
    with pytest.raises(requests.ConnectionError):
        confluence.create_page("OPS", "t", "")
    assert fake.pages() == []
    fake.faults.add("content.create", kind="drop_after_effect", times=1)
    with pytest.raises(requests.ConnectionError):
        confluence.create_page("OPS", "t", "")
    assert [page["title"] for page in fake.pages()] == ["t"]
