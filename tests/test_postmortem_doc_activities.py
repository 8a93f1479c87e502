"""Postmortem doc activities against the Notion and Confluence fakes: one doc per incident whatever
fails, sections replaced whole within each API's limits, nothing written twice, people's words
kept."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import requests
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.clients import confluence_client, notion_client
from activities.confluence_doc import ConfluenceDocs
from activities.doc_template import TIMELINE
from activities.notion_doc import NotionDocs
from activities.postmortem_doc import NOT_CONFIGURED, PRIVATE_LEFT_OUT, PostmortemDocActivities
from activities.tracking_types import (
    DocHeader,
    DocSection,
    DocSectionInput,
    EnsureDocInput,
    UpdateDocHeaderInput,
)
from activities.vendor_errors import REFUSED
from fireline.integrations import ConfluenceConfig, NotionConfig
from fireline.models import IncidentLink
from tests.fakes.confluence import FakeConfluence
from tests.fakes.notion import FakeNotion

logging.getLogger("fireline.notion").setLevel(logging.ERROR)

HEADER = DocHeader(
    number=7,
    title="Checkout is down",
    severity="SEV1",
    status="investigating",
    commander="alice",
    declared_at=datetime(2026, 11, 29, 21, 0, tzinfo=UTC),
    channel_url="https://fake.slack.com/archives/C1",
)
DOC = EnsureDocInput(incident_id="incident-T0FAKE-V123", private=False, header=HEADER)
SCHEMA = {
    "Name": "title",
    "Incident ID": "rich_text",
    "Severity": "select",
    "Status": "select",
    "Declared": "date",
    "Channel": "url",
}


@pytest.fixture
async def notion_docs(notion: FakeNotion) -> AsyncIterator[PostmortemDocActivities]:
    database = notion.add_database("Postmortems", SCHEMA)
    client = notion_client(NotionConfig(notion.token, database, notion.base_url))
    yield PostmortemDocActivities(NotionDocs(client, database))
    await client.aclose()


@pytest.fixture
def confluence_docs(confluence: FakeConfluence) -> PostmortemDocActivities:
    config = ConfluenceConfig(
        confluence.url, confluence.username, confluence.api_token, "OPS", parent_page_id=None
    )
    return PostmortemDocActivities(ConfluenceDocs(confluence_client(config), config))


async def run(call: Any, input: Any) -> Any:
    return await ActivityEnvironment().run(call, input)


async def ensure(docs: PostmortemDocActivities) -> IncidentLink:
    result = await run(docs.ensure_doc, DOC)
    assert result.ref is not None
    return result.ref


def timeline(ref: IncidentLink, lines: list[str]) -> DocSectionInput:
    return DocSectionInput(ref=ref, section=DocSection(heading=TIMELINE, lines=lines))


# -- Notion ---------------------------------------------------------------------------------------


async def test_notion_one_doc_whatever_is_retried(
    notion: FakeNotion, notion_docs: PostmortemDocActivities
) -> None:
    notion.faults.add("pages.create", kind="drop_after_effect", times=1)
    with pytest.raises(httpx.TransportError):
        await ensure(notion_docs)
    ref = await ensure(notion_docs)
    assert await ensure(notion_docs) == ref
    [page] = notion.pages()
    assert ref.url == page["url"] and ref.title == "INC-7: Checkout is down - Postmortem"
    properties = page["properties"]
    assert properties["Incident ID"]["rich_text"][0]["plain_text"] == DOC.incident_id
    assert properties["Severity"]["select"] == {"name": "SEV1"}
    text = notion.text(ref.external_id)
    headings = ["Incident", "Summary", "Impact", "Timeline", "Root cause", "Follow-ups"]
    assert [line for line in text if line in headings] == headings
    assert "Severity | SEV1" in text and "Channel | https://fake.slack.com/archives/C1" in text


async def test_notion_found_by_title_without_an_incident_property(notion: FakeNotion) -> None:
    database = notion.add_database("Plain", {"Title": "title"})
    client = notion_client(NotionConfig(notion.token, database, notion.base_url))
    docs = PostmortemDocActivities(NotionDocs(client, database))
    first = await ensure(docs)
    assert await ensure(docs) == first and len(notion.pages(database)) == 1
    await client.aclose()


async def test_notion_timeline_within_limits_replaced_never_duplicated(
    notion: FakeNotion, notion_docs: PostmortemDocActivities
) -> None:
    ref = await ensure(notion_docs)
    lines = [f"21:{n:02d} alice: message {n}" for n in range(249)] + ["x" * 4500]
    written = await run(notion_docs.write_section, timeline(ref, lines))
    assert written.changed
    appends = notion.calls("blocks.children.append")
    assert [len(call.body["children"]) for call in appends] == [100, 100, 50]
    text = notion.text(ref.external_id)
    at = text.index("Timeline")
    assert text[at + 1 : at + 251] == lines and text[at + 251] == "Root cause"
    # Unchanged: read, nothing written.
    before = len(notion.calls())
    again = await run(notion_docs.write_section, timeline(ref, lines))
    assert not again.changed
    assert {call.verb for call in notion.calls()[before:]} == {"GET"}
    # Changed: replaced, not appended to.
    shorter = await run(notion_docs.write_section, timeline(ref, ["only this"]))
    assert shorter.changed
    text = notion.text(ref.external_id)
    assert text[text.index("Timeline") + 1 : text.index("Root cause")] == ["only this"]


async def test_notion_header_and_refusal(
    notion: FakeNotion, notion_docs: PostmortemDocActivities
) -> None:
    ref = await ensure(notion_docs)
    resolved = HEADER.model_copy(
        update={"status": "resolved", "durations": {"mitigate": "40m", "resolve": "1h 5m"}}
    )
    await run(notion_docs.update_header, UpdateDocHeaderInput(ref=ref, header=resolved))
    assert notion.pages()[0]["properties"]["Status"]["select"] == {"name": "resolved"}
    text = notion.text(ref.external_id)
    assert "Status | resolved" in text and "Time to resolve | 1h 5m" in text
    assert text.count("Severity | SEV1") == 1
    hidden = notion.add_database("Hidden", SCHEMA, shared=False)
    client = notion_client(NotionConfig(notion.token, hidden, notion.base_url))
    with pytest.raises(ApplicationError) as info:
        await ensure(PostmortemDocActivities(NotionDocs(client, hidden)))
    assert info.value.type == REFUSED and info.value.non_retryable
    assert "shared with the integration" in str(info.value)
    await client.aclose()


async def test_private_and_unconfigured(notion_docs: PostmortemDocActivities) -> None:
    private = await run(notion_docs.ensure_doc, DOC.model_copy(update={"private": True}))
    assert private.ref is None and private.skipped == PRIVATE_LEFT_OUT
    off = await run(PostmortemDocActivities(None).ensure_doc, DOC)
    assert off.skipped == NOT_CONFIGURED


# -- Confluence -----------------------------------------------------------------------------------


async def test_confluence_one_doc_whatever_is_retried(
    confluence: FakeConfluence, confluence_docs: PostmortemDocActivities
) -> None:
    confluence.faults.add("content.create", kind="drop_after_effect", times=1)
    with pytest.raises(requests.ConnectionError):
        await ensure(confluence_docs)
    ref = await ensure(confluence_docs)
    assert await ensure(confluence_docs) == ref
    [page] = confluence.pages("OPS")
    assert page["title"] == "INC-7: Checkout is down - Postmortem"
    assert ref.url == f"{confluence.url}/spaces/OPS/pages/{page['id']}"
    assert "<th>Severity</th><td>SEV1</td>" in page["body"]


async def test_confluence_sections_keep_peoples_words(
    confluence: FakeConfluence, confluence_docs: PostmortemDocActivities
) -> None:
    ref = await ensure(confluence_docs)
    body = confluence.pages()[0]["body"]
    written = body.replace("<p>Why it happened.</p>", "<p>A full disk &amp; no alert.</p>")
    confluence.edit(ref.external_id, written)
    assert (
        await run(confluence_docs.write_section, timeline(ref, ["21:00 <alice>: db down"]))
    ).changed
    page = confluence.pages()[0]
    assert "<p>A full disk &amp; no alert.</p>" in page["body"]
    assert "<h2>Timeline</h2><p>21:00 &lt;alice&gt;: db down</p><h2>Root cause</h2>" in page["body"]
    version = page["version"]
    assert not (
        await run(confluence_docs.write_section, timeline(ref, ["21:00 <alice>: db down"]))
    ).changed
    assert confluence.pages()[0]["version"] == version


async def test_confluence_conflict_is_retried_with_the_new_version(
    confluence: FakeConfluence, confluence_docs: PostmortemDocActivities
) -> None:
    ref = await ensure(confluence_docs)

    saved: list[bool] = []

    def person_saves_meanwhile(args: dict[str, Any]) -> bool:
        if not saved:  # once: between the activity's read and its update
            saved.append(True)
            confluence.edit(ref.external_id, confluence.pages()[0]["body"] + "<p>mine</p>")
        return False  # the rule only makes the edit happen; the update itself goes on

    confluence.faults.add("content.update", kind="latency", when=person_saves_meanwhile)
    with pytest.raises(requests.HTTPError) as info:  # 409: transient, Temporal retries
        await run(confluence_docs.write_section, timeline(ref, ["line"]))
    assert info.value.response is not None and info.value.response.status_code == 409
    await run(confluence_docs.write_section, timeline(ref, ["line"]))
    body = confluence.pages()[0]["body"]
    assert "<p>mine</p>" in body and "<h2>Timeline</h2><p>line</p>" in body
