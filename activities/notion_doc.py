"""The postmortem doc as a row of the Notion postmortem database.

A row is found by its `Incident ID` property (else by its title); the other properties (Severity,
Status, Commander, Declared, Channel, Number) are written when the database has them with that
type, so any postmortem database works, and the header table in the page says it all anyway.
Sections are replaced within Notion's limits: 100 blocks per append, 2,000 characters per rich
text (a longer line is split across rich texts), 100 rich texts per block.
"""

from __future__ import annotations

from typing import Any

from notion_client import AsyncClient
from notion_client.errors import HTTPResponseError

from activities.doc_template import doc_title, template
from activities.tracking_types import DocHeader, DocSection
from activities.vendor_errors import notion_failure
from fireline.models import IncidentLink

MAX_APPEND = 100
MAX_TEXT = 2000
MAX_RICH_TEXTS = 100
LOOKUP_PROPERTY = "Incident ID"
_HEADINGS = ("heading_1", "heading_2")
Block = dict[str, Any]


def _rich_text(text: str) -> list[Block]:
    chunks = [text[i : i + MAX_TEXT] for i in range(0, len(text), MAX_TEXT)][:MAX_RICH_TEXTS]
    return [{"type": "text", "text": {"content": chunk}} for chunk in chunks or [""]]


def _plain(rich: list[Block]) -> str:
    return "".join(
        str(item.get("plain_text", item.get("text", {}).get("content", ""))) for item in rich
    )


def section_blocks(section: DocSection) -> list[Block]:
    """The section's content (without its heading) as Notion blocks."""
    if section.rows:
        rows = [
            {"type": "table_row", "table_row": {"cells": [_rich_text(a), _rich_text(b)]}}
            for a, b in section.rows
        ]
        table = {"table_width": 2, "has_column_header": False, "has_row_header": True}
        return [{"type": "table", "table": {**table, "children": rows}}]
    return [
        {"type": "paragraph", "paragraph": {"rich_text": _rich_text(line)}}
        for line in section.lines
    ]


def _heading(text: str) -> Block:
    return {"type": "heading_2", "heading_2": {"rich_text": _rich_text(text)}}


def _wanted_text(section: DocSection) -> list[str]:
    """What the section's blocks read as, to compare with what the page holds."""
    if section.rows:
        return [" | ".join(row) for row in section.rows]
    return [line[: MAX_TEXT * MAX_RICH_TEXTS] for line in section.lines]


class NotionDocs:
    kind = "notion_page"

    def __init__(self, client: AsyncClient, database_id: str) -> None:
        self._client = client
        self._database_id = database_id
        self._source: tuple[str, dict[str, str]] | None = None

    async def _call(self, request: Any) -> Any:
        try:
            return await request
        except HTTPResponseError as err:
            notion_failure(err, f"the postmortem database {self._database_id}")

    async def _data_source(self) -> tuple[str, dict[str, str]]:
        """The database's data source and its property types (API 2025-09-03), read once."""
        if self._source is None:
            database = await self._call(
                self._client.databases.retrieve(database_id=self._database_id)
            )
            source_id = str(database["data_sources"][0]["id"])
            source = await self._call(self._client.data_sources.retrieve(data_source_id=source_id))
            types = {name: str(prop["type"]) for name, prop in source["properties"].items()}
            self._source = (source_id, types)
        return self._source

    def _ref(self, page: Block, title: str) -> IncidentLink:
        return IncidentLink(
            kind=self.kind, external_id=str(page["id"]), url=str(page["url"]), title=title
        )

    async def find(self, incident_id: str, number: int, title: str) -> IncidentLink | None:
        source_id, types = await self._data_source()
        wanted = doc_title(number, title)
        if types.get(LOOKUP_PROPERTY) == "rich_text":
            condition = {"property": LOOKUP_PROPERTY, "rich_text": {"equals": incident_id}}
        else:
            name = next(name for name, kind in types.items() if kind == "title")
            condition = {"property": name, "title": {"equals": wanted}}
        found = await self._call(
            self._client.data_sources.query(data_source_id=source_id, filter=condition, page_size=1)
        )
        results = found.get("results") or []
        return self._ref(results[0], wanted) if results else None

    def _properties(
        self, types: dict[str, str], incident_id: str | None, header: DocHeader
    ) -> Block:
        values: dict[str, tuple[str, Any]] = {
            "Severity": ("select", {"name": header.severity}),
            "Status": ("select", {"name": header.status}),
            "Commander": ("rich_text", _rich_text(header.commander)),
            "Declared": ("date", {"start": header.declared_at.isoformat()}),
            "Channel": ("url", header.channel_url),
            "Number": ("number", header.number),
        }
        if incident_id is not None:
            values[LOOKUP_PROPERTY] = ("rich_text", _rich_text(incident_id))
        return {
            name: {kind: value} for name, (kind, value) in values.items() if types.get(name) == kind
        }

    async def create(self, incident_id: str, header: DocHeader) -> IncidentLink:
        source_id, types = await self._data_source()
        title = doc_title(header.number, header.title)
        title_property = next(name for name, kind in types.items() if kind == "title")
        properties = {
            title_property: {"title": _rich_text(title)},
            **self._properties(types, incident_id, header),
        }
        children = [
            block
            for section in template(header)
            for block in (_heading(section.heading), *section_blocks(section))
        ]
        page = await self._call(
            self._client.pages.create(
                parent={"type": "data_source_id", "data_source_id": source_id},
                properties=properties,
                children=children,
            )
        )
        return self._ref(page, title)

    async def set_properties(self, ref: IncidentLink, header: DocHeader) -> None:
        _, types = await self._data_source()
        properties = self._properties(types, None, header)
        if properties:
            await self._call(
                self._client.pages.update(page_id=ref.external_id, properties=properties)
            )

    async def _children(self, block_id: str) -> list[Block]:
        blocks: list[Block] = []
        cursor = None
        while True:
            page = await self._call(
                self._client.blocks.children.list(
                    block_id=block_id, start_cursor=cursor, page_size=100
                )
                if cursor
                else self._client.blocks.children.list(block_id=block_id, page_size=100)
            )
            blocks += page["results"]
            cursor = page.get("next_cursor")
            if not page.get("has_more") or not cursor:
                return blocks

    async def _read(self, block: Block) -> list[str]:
        if block["type"] == "table":
            rows = await self._children(block["id"])
            return [" | ".join(_plain(cell) for cell in row["table_row"]["cells"]) for row in rows]
        content = block.get(block["type"]) or {}
        return [_plain(content.get("rich_text") or [])]

    async def replace_section(self, ref: IncidentLink, section: DocSection) -> bool:
        """Make the section under `section.heading` say exactly this; False when it already did."""
        blocks = await self._children(ref.external_id)
        heading_at = next(
            (
                at
                for at, block in enumerate(blocks)
                if block["type"] in _HEADINGS
                and _plain(block[block["type"]]["rich_text"]) == section.heading
            ),
            None,
        )
        if heading_at is None:
            after: str | None = None
            old: list[Block] = []
            new = [_heading(section.heading), *section_blocks(section)]
        else:
            end = next(
                (
                    at
                    for at in range(heading_at + 1, len(blocks))
                    if blocks[at]["type"] in _HEADINGS
                ),
                len(blocks),
            )
            old = blocks[heading_at + 1 : end]
            after = str(blocks[heading_at]["id"])
            new = section_blocks(section)
            now = [line for block in old for line in await self._read(block)]
            if now == _wanted_text(section):
                return False
        for block in old:
            await self._call(self._client.blocks.delete(block_id=block["id"]))
        await self._append(ref.external_id, new, after)
        return True

    async def _append(self, page_id: str, blocks: list[Block], after: str | None) -> None:
        """Append in chunks of 100, each after the last; a table's rows beyond 100 go into it."""
        for start in range(0, len(blocks), MAX_APPEND):
            chunk = blocks[start : start + MAX_APPEND]
            rows_later: list[Block] = []
            if chunk[-1]["type"] == "table":
                rows = chunk[-1]["table"]["children"]
                chunk[-1]["table"]["children"], rows_later = rows[:MAX_APPEND], rows[MAX_APPEND:]
            extra = {"after": after} if after else {}
            added = await self._call(
                self._client.blocks.children.append(block_id=page_id, children=chunk, **extra)
            )
            after = str(added["results"][-1]["id"])
            for row_start in range(0, len(rows_later), MAX_APPEND):
                await self._call(
                    self._client.blocks.children.append(
                        block_id=after, children=rows_later[row_start : row_start + MAX_APPEND]
                    )
                )
