"""The Notion fake, driven by the real notion-client (async, its own retries off)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from notion_client import AsyncClient
from notion_client.errors import APIResponseError, RequestTimeoutError, UnknownHTTPResponseError
from notion_client.helpers import async_collect_paginated_api

from tests.fakes.notion import FakeNotion
from tests.helpers import eventually

# The client otherwise adds a console handler per instance.
QUIET = logging.getLogger("tests.notion")
SCHEMA = {"Name": "title", "Incident": "rich_text", "Severity": "select", "Number": "number"}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeNotion]:
    with FakeNotion() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeNotion) -> FakeNotion:
    server.reset()
    return server


@pytest.fixture
async def notion(fake: FakeNotion) -> AsyncIterator[AsyncClient]:
    client = AsyncClient(
        auth=fake.token, base_url=fake.base_url, retry=False, timeout_ms=2000, logger=QUIET
    )
    yield client
    await client.aclose()


def text(content: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": {"content": content}}]


def paragraph(content: str) -> dict[str, Any]:
    return {"type": "paragraph", "paragraph": {"rich_text": text(content)}}


async def data_source(notion: AsyncClient, database_id: str) -> str:
    database = await notion.databases.retrieve(database_id=database_id)
    return str(database["data_sources"][0]["id"])


async def create_row(notion: AsyncClient, source: str, incident: str, **extra: Any) -> Any:
    return await notion.pages.create(
        parent={"type": "data_source_id", "data_source_id": source},
        properties={
            "Name": {"title": text(f"{incident}: db down - Postmortem")},
            "Incident": {"rich_text": text(incident)},
        },
        **extra,
    )


async def test_pages_in_a_database_found_by_property(fake: FakeNotion, notion: AsyncClient) -> None:
    database = fake.add_database("Postmortems", SCHEMA)
    source = await data_source(notion, database)
    page = await create_row(notion, source, "inc-1", children=[paragraph("Summary")])
    await create_row(notion, source, "inc-2")
    assert page["url"].startswith("https://www.notion.so/")
    assert page["parent"]["database_id"] == database
    found = await notion.data_sources.query(
        data_source_id=source, filter={"property": "Incident", "rich_text": {"equals": "inc-1"}}
    )
    assert [row["id"] for row in found["results"]] == [page["id"]]
    await notion.pages.update(
        page_id=page["id"],
        properties={"Severity": {"select": {"name": "SEV1"}}, "Number": {"number": 1}},
    )
    again = await notion.pages.retrieve(page_id=page["id"])
    assert again["properties"]["Severity"]["select"] == {"name": "SEV1"}
    assert again["properties"]["Incident"]["rich_text"][0]["plain_text"] == "inc-1"
    assert fake.text(page["id"]) == ["Summary"]
    err = await failure(notion.pages.update(page_id=page["id"], properties={"Nope": {}}))
    assert (err.status, err.code) == (400, "validation_error")


async def test_block_children_paginate_and_keep_order(
    fake: FakeNotion, notion: AsyncClient
) -> None:
    source = await data_source(notion, fake.add_database("Postmortems", SCHEMA))
    page = await create_row(notion, source, "inc-3")
    first = await notion.blocks.children.append(
        block_id=page["id"], children=[paragraph(f"line {n}") for n in range(100)]
    )
    await notion.blocks.children.append(
        block_id=page["id"], children=[paragraph(f"line {n}") for n in range(100, 150)]
    )
    # Insert after the first block, and nest one level.
    nested = {
        "type": "bulleted_list_item",
        "bulleted_list_item": {"rich_text": text("after 0"), "children": [paragraph("inner")]},
    }
    await notion.blocks.children.append(
        block_id=page["id"], children=[nested], after=first["results"][0]["id"]
    )
    listed = await notion.blocks.children.list(block_id=page["id"])
    assert len(listed["results"]) == 100 and listed["has_more"] is True
    every = await async_collect_paginated_api(notion.blocks.children.list, block_id=page["id"])
    assert len(every) == 151
    lines = fake.text(page["id"])
    assert lines[:4] == ["line 0", "after 0", "inner", "line 1"] and lines[-1] == "line 149"
    assert every[1]["has_children"] is True
    await notion.blocks.delete(block_id=every[0]["id"])
    assert fake.text(page["id"])[0] == "after 0"


async def test_limits_are_validation_errors_and_store_nothing(
    fake: FakeNotion, notion: AsyncClient
) -> None:
    source = await data_source(notion, fake.add_database("Postmortems", SCHEMA))
    page = await create_row(notion, source, "inc-4")
    too_many = notion.blocks.children.append(
        block_id=page["id"], children=[paragraph("x") for _ in range(101)]
    )
    err = await failure(too_many)
    assert (err.status, err.code) == (400, "validation_error")
    assert "body.children.length should be ≤ `100`, instead was `101`" in str(err)
    too_long = notion.blocks.children.append(
        block_id=page["id"], children=[paragraph("ok"), paragraph("x" * 2001)]
    )
    err = await failure(too_long)
    assert "body.children[1].paragraph.rich_text[0].text.content.length should be ≤ `2000`" in (
        str(err)
    )
    deep = {
        "type": "toggle",
        "toggle": {
            "rich_text": text("a"),
            "children": [
                {
                    "type": "toggle",
                    "toggle": {"rich_text": text("b"), "children": [paragraph("c")]},
                }
            ],
        },
    }
    assert (await failure(notion.blocks.children.append(block_id=page["id"], children=[deep]))).code
    assert fake.text(page["id"]) == []
    title = {"Name": {"title": text("t" * 2001)}}
    err = await failure(
        notion.pages.create(
            parent={"type": "data_source_id", "data_source_id": source}, properties=title
        )
    )
    assert err.code == "validation_error" and len(fake.pages()) == 1


async def test_rate_limited_with_retry_after(fake: FakeNotion, notion: AsyncClient) -> None:
    source = await data_source(notion, fake.add_database("Postmortems", SCHEMA))
    fake.faults.add("pages.create", kind="ratelimited", retry_after=7, times=1)
    err = await failure(create_row(notion, source, "inc-5"))
    assert (err.status, err.code) == (429, "rate_limited")
    assert err.headers["retry-after"] == "7"
    assert fake.pages() == []
    await create_row(notion, source, "inc-5")
    assert [c.status for c in fake.calls("pages.create")] == [429, 200]


async def test_refusals_server_errors_and_timeouts(fake: FakeNotion, notion: AsyncClient) -> None:
    hidden = fake.add_database("Private", SCHEMA, shared=False)
    err = await failure(notion.databases.retrieve(database_id=hidden))
    assert (err.status, err.code) == (404, "object_not_found")
    wrong = AsyncClient(auth="secret_wrong", base_url=fake.base_url, retry=False, logger=QUIET)
    err = await failure(wrong.databases.retrieve(database_id=hidden))
    assert (err.status, err.code) == (401, "unauthorized")
    await wrong.aclose()
    database = fake.add_database("Postmortems", SCHEMA)
    fake.faults.add("databases.retrieve", kind="http_error", status=503, times=1)
    err = await failure(notion.databases.retrieve(database_id=database))
    assert (err.status, err.code) == (503, "service_unavailable")
    fake.faults.add("databases.retrieve", kind="http_error", status=502, times=1)
    with pytest.raises(UnknownHTTPResponseError):
        await notion.databases.retrieve(database_id=database)
    fake.faults.add("databases.retrieve", kind="error", status=403, error="restricted_resource")
    err = await failure(notion.databases.retrieve(database_id=database))
    assert (err.status, err.code) == (403, "restricted_resource")
    fake.faults.clear()
    source = await data_source(notion, database)
    fake.faults.add("pages.create", kind="latency", seconds=0.5, times=1)
    slow = AsyncClient(
        auth=fake.token, base_url=fake.base_url, retry=False, timeout_ms=100, logger=QUIET
    )
    with pytest.raises(RequestTimeoutError):
        await create_row(slow, source, "inc-6")
    await slow.aclose()
    # The fake finishes waiting after the client gave up, and then does nothing.
    gone = await eventually(lambda: fake.calls("pages.create"))
    assert gone[0].fault == "client_gone" and fake.pages() == []


async def test_outage_and_lost_answer(fake: FakeNotion, notion: AsyncClient) -> None:
    source = await data_source(notion, fake.add_database("Postmortems", SCHEMA))
    fake.faults.add("*", kind="outage", times=1)
    with pytest.raises(httpx.TransportError):
        await create_row(notion, source, "inc-7")
    assert fake.pages() == []
    fake.faults.add("pages.create", kind="drop_after_effect", times=1)
    with pytest.raises(httpx.TransportError):
        await create_row(notion, source, "inc-7")
    assert len(fake.pages()) == 1  # made, though the client never heard


async def failure(call: Any) -> APIResponseError:
    with pytest.raises(APIResponseError) as info:
        await call
    return info.value
