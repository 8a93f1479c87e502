"""The record keeps what Fireline made elsewhere (`incident_links`), once per link."""

from __future__ import annotations

import psycopg

from fireline.models import IncidentLink
from tests.test_records import make_snapshot, record

DOC = IncidentLink(
    kind="notion_page",
    external_id="p-1",
    url="https://www.notion.so/p1",
    title="INC-42 - Postmortem",
)
ISSUE = IncidentLink(kind="jira_issue", external_id="FIRE-1", url="https://jira/browse/FIRE-1")


async def links(database_url: str) -> list[tuple[str, str, str, str]]:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute(
            "SELECT kind, external_id, url, title FROM incident_links ORDER BY kind, external_id"
        )
        return [tuple(row) for row in await cursor.fetchall()]  # type: ignore[misc]


async def test_links_recorded_once_and_kept_current(database_url: str) -> None:
    await record(database_url, make_snapshot(links=[DOC]))
    await record(database_url, make_snapshot(links=[DOC]))  # a retry changes nothing
    followups = [
        IncidentLink(kind="jira_followup", external_id=f"FIRE-{n}", url=f"u{n}", title="t\x00x")
        for n in (2, 3)
    ]
    moved = DOC.model_copy(update={"url": "https://www.notion.so/moved"})
    await record(database_url, make_snapshot(links=[moved, ISSUE, *followups]))
    assert await links(database_url) == [
        ("jira_followup", "FIRE-2", "u2", "tx"),
        ("jira_followup", "FIRE-3", "u3", "tx"),
        ("jira_issue", "FIRE-1", ISSUE.url, ""),
        ("notion_page", "p-1", "https://www.notion.so/moved", DOC.title),
    ]
