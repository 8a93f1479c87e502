"""The postmortem doc as a Confluence page (storage format), found by its title in the space.

Sections are `<h2>` headings; replacing one rewrites the page from its heading to the next `<h2>`,
under the page's current version: a person saving meanwhile makes Confluence answer 409, and the
retried attempt reads their version and keeps their words.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from atlassian.confluence import ConfluenceServer
from atlassian.errors import ApiError

from activities.doc_template import doc_title, template
from activities.tracking_types import DocHeader, DocSection, incident_label
from activities.vendor_errors import atlassian_failure
from fireline.integrations import ConfluenceConfig
from fireline.models import IncidentLink

T = TypeVar("T")


def section_html(section: DocSection) -> str:
    """The section's content (without its heading) in storage format."""
    if section.rows:
        rows = "".join(
            f"<tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>"
            for name, value in section.rows
        )
        return f"<table><tbody>{rows}</tbody></table>"
    return "".join(f"<p>{html.escape(line)}</p>" for line in section.lines)


def _heading(text: str) -> str:
    return f"<h2>{html.escape(text)}</h2>"


def replaced(body: str, section: DocSection) -> str:
    """The body with the section's content replaced (or the section added at the end)."""
    heading = _heading(section.heading)
    at = body.find(heading)
    content = section_html(section)
    if at < 0:
        return body + heading + content
    start = at + len(heading)
    following = re.search(r"<h[12][ >]", body[start:])
    end = start + following.start() if following else len(body)
    return body[:start] + content + body[end:]


class ConfluenceDocs:
    kind = "confluence_page"

    def __init__(self, client: ConfluenceServer, config: ConfluenceConfig) -> None:
        self._client = client
        self._config = config

    async def _call(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return await asyncio.to_thread(call, *args, **kwargs)
        except (requests.RequestException, ApiError) as err:
            what = (
                f"CONFLUENCE_SPACE {self._config.space} and the CONFLUENCE_USERNAME user's access"
            )
            atlassian_failure(err, "Confluence", what)

    def _ref(self, page: dict[str, Any], title: str) -> IncidentLink:
        links = page.get("_links") or {}
        url = f"{links.get('base', self._config.url)}{links.get('webui', '')}"
        return IncidentLink(kind=self.kind, external_id=str(page["id"]), url=url, title=title)

    async def find(self, incident_id: str, number: int, title: str) -> IncidentLink | None:
        wanted = doc_title(number, title)
        found = await self._call(self._client.get_page_by_title, self._config.space, wanted)
        results = (found or {}).get("results") or []
        return self._ref(results[0], wanted) if results else None

    async def create(self, incident_id: str, header: DocHeader) -> IncidentLink:
        title = doc_title(header.number, header.title)
        body = "".join(_heading(s.heading) + section_html(s) for s in template(header))
        page = await self._call(
            self._client.create_page,
            self._config.space,
            title,
            body,
            parent_id=self._config.parent_page_id,
        )
        ref = self._ref(page, title)
        await self._call(self._client.set_page_label, ref.external_id, incident_label(incident_id))
        return ref

    async def set_properties(self, ref: IncidentLink, header: DocHeader) -> None:
        """Confluence pages have no properties Fireline keeps: the header table says it all."""

    async def replace_section(self, ref: IncidentLink, section: DocSection) -> bool:
        page = await self._call(
            self._client.get_page_by_id, ref.external_id, expand="body.storage,version"
        )
        body = str(page["body"]["storage"]["value"])
        new = replaced(body, section)
        if new == body:
            return False
        data = {
            "id": ref.external_id,
            "type": "page",
            "title": page["title"],
            "version": {"number": int(page["version"]["number"]) + 1, "minorEdit": True},
            "body": {"storage": {"value": new, "representation": "storage"}},
        }
        await self._call(self._client.put, f"rest/api/content/{ref.external_id}", data=data)
        return True
