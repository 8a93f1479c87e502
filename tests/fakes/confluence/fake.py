"""FakeConfluence: pages in spaces through REST v1 content (under ``/wiki``, as on Cloud).

Create, get by title, get by id, update with optimistic versions (409 when the version is not the
current one plus one), history, labels and CQL search (``/rest/api/search`` and
``/rest/api/content/search``).

Operations (fault names): content.create, content.find, content.get, content.update,
content.history, content.label, search.cql.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .. import clauses
from ..http import Outcome
from ..rest import Incoming, RestError, RestFake, Route, basic_auth, page_size, route

API = "/wiki/rest/api"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class Page:
    id: str
    space: str
    title: str
    body: str
    parent: str | None
    version: int = 1
    labels: list[str] = field(default_factory=list)
    when: str = field(default_factory=_now)


class FakeConfluence(RestFake):
    name = "confluence"

    def __init__(
        self, *, username: str = "fireline@example.com", api_token: str = "fake-confluence-token"
    ) -> None:
        super().__init__()
        self.username = username
        self.api_token = api_token
        self.reset_state()

    def reset_state(self) -> None:
        self._spaces: dict[str, str] = {}
        self._pages: dict[str, Page] = {}
        self._next_id = 100000

    @property
    def url(self) -> str:
        """What CONFLUENCE_URL is set to (Cloud's site URL ends in /wiki)."""
        return f"{self.base_url}/wiki"

    # seeding and inspection -------------------------------------------------------------
    def add_space(self, key: str, name: str = "") -> None:
        with self.lock:
            self._spaces[key] = name or key

    def add_page(self, space: str, title: str, body: str = "") -> str:
        with self.lock:
            return self._store(space, title, body, None).id

    def pages(self, space: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [
                copy.deepcopy(page.__dict__)
                for page in self._pages.values()
                if space is None or page.space == space
            ]

    def edit(self, page_id: str, body: str) -> None:
        """A person edits the page in the browser: a new version."""
        with self.lock:
            page = self._pages[page_id]
            page.body, page.version, page.when = body, page.version + 1, _now()

    # the API ------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [
            route("POST", f"{API}/content", "content.create", self._create),
            route("GET", f"{API}/content", "content.find", self._find),
            route("GET", f"{API}/content/search", "search.cql", self._content_search),
            route("GET", f"{API}/content/{{id}}", "content.get", self._get),
            route("PUT", f"{API}/content/{{id}}", "content.update", self._update),
            route("GET", f"{API}/content/{{id}}/history", "content.history", self._history),
            route("POST", f"{API}/content/{{id}}/label", "content.label", self._label),
            route("GET", f"{API}/search", "search.cql", self._search),
        ]

    def authorized(self, headers: dict[str, str]) -> bool:
        return basic_auth(headers) == (self.username, self.api_token)

    def error_outcome(self, error: RestError, headers: dict[str, str] | None = None) -> Outcome:
        body = {
            "statusCode": error.status,
            "data": {"authorized": error.status not in (401, 403), "valid": False, "errors": []},
            "message": error.message,
            "reason": error.code,
        }
        return Outcome.json(body, error.status, **(headers or {}))

    # handlers (under the lock) -------------------------------------------------------------
    def _store(self, space: str, title: str, body: str, parent: str | None) -> Page:
        self._next_id += 1
        page = Page(str(self._next_id), space, title, body, parent)
        self._pages[page.id] = page
        return page

    def _page(self, page_id: str) -> Page:
        page = self._pages.get(page_id)
        if page is None:
            raise RestError(
                404, "Not Found", f"No content found with id: ContentId{{id={page_id}}}"
            )
        return page

    def _content(self, page: Page, expand: str = "") -> dict[str, Any]:
        obj: dict[str, Any] = {
            "id": page.id,
            "type": "page",
            "status": "current",
            "title": page.title,
            "space": {"key": page.space, "name": self._spaces[page.space]},
            "version": {"number": page.version, "when": page.when},
            "_links": {
                "webui": f"/spaces/{page.space}/pages/{page.id}",
                "base": self.url,
                "self": f"{self.url}/rest/api/content/{page.id}",
            },
        }
        if "body.storage" in expand:
            obj["body"] = {"storage": {"value": page.body, "representation": "storage"}}
        if "ancestors" in expand:
            obj["ancestors"] = [{"id": page.parent}] if page.parent else []
        if "metadata.labels" in expand:
            obj["metadata"] = {"labels": {"results": [{"name": n} for n in page.labels]}}
        return obj

    def _title_taken(self, space: str, title: str, other_than: str | None = None) -> None:
        for page in self._pages.values():
            if page.space == space and page.title == title and page.id != other_than:
                raise RestError(
                    400,
                    "Bad Request",
                    "A page with this title already exists: A page already exists with the same "
                    "TITLE in this space",
                )

    def _create(self, _: dict[str, str], incoming: Incoming) -> tuple[int, Any]:
        body = incoming.body or {}
        space = (body.get("space") or {}).get("key")
        if space not in self._spaces:
            raise RestError(404, "Not Found", f"No space with key : {space}")
        title = str(body.get("title") or "")
        if not title:
            raise RestError(400, "Bad Request", "Title is required")
        if len(title) > 255:
            raise RestError(400, "Bad Request", "Title cannot be longer than 255 characters.")
        self._title_taken(space, title)
        ancestors = body.get("ancestors") or []
        parent = str(ancestors[-1]["id"]) if ancestors else None
        if parent is not None:
            self._page(parent)
        storage = ((body.get("body") or {}).get("storage") or {}).get("value", "")
        page = self._store(space, title, storage, parent)
        return 200, self._content(page, "body.storage,ancestors")

    def _find(self, _: dict[str, str], incoming: Incoming) -> tuple[int, Any]:
        query = incoming.query
        found = [
            page
            for page in self._pages.values()
            if page.space == query.get("spaceKey", page.space)
            and page.title == query.get("title", page.title)
        ]
        return 200, self._listing(found, query, lambda page: self._content(page, _expand(query)))

    def _get(self, params: dict[str, str], incoming: Incoming) -> tuple[int, Any]:
        return 200, self._content(self._page(params["id"]), _expand(incoming.query))

    def _update(self, params: dict[str, str], incoming: Incoming) -> tuple[int, Any]:
        page = self._page(params["id"])
        body = incoming.body or {}
        number = (body.get("version") or {}).get("number")
        if number != page.version + 1:
            raise RestError(
                409,
                "Conflict",
                f"Version must be incremented on update. Current version is: {page.version}",
            )
        title = str(body.get("title") or page.title)
        self._title_taken(page.space, title, other_than=page.id)
        storage = (body.get("body") or {}).get("storage")
        page.title = title
        if storage is not None:
            page.body = storage.get("value", "")
        page.version, page.when = number, _now()
        return 200, self._content(page, "body.storage")

    def _history(self, params: dict[str, str], _: Incoming) -> tuple[int, Any]:
        page = self._page(params["id"])
        return 200, {"latest": True, "lastUpdated": {"number": page.version, "when": page.when}}

    def _label(self, params: dict[str, str], incoming: Incoming) -> tuple[int, Any]:
        page = self._page(params["id"])
        given = incoming.body if isinstance(incoming.body, list) else [incoming.body or {}]
        for label in given:
            name = str(label.get("name", ""))
            if not name or " " in name:
                raise RestError(400, "Bad Request", f"Invalid label: {name!r}")
            if name not in page.labels:
                page.labels.append(name)
        results = [{"prefix": "global", "name": name} for name in page.labels]
        return 200, {"results": results, "size": len(results)}

    def _cql(self, query: dict[str, str]) -> list[Page]:
        try:
            parsed = clauses.parse(query.get("cql", ""))
        except clauses.QueryError as err:
            raise RestError(400, "Bad Request", f"Could not parse cql : {err}") from None
        found = []
        for page in self._pages.values():
            values: dict[str, str | list[str]] = {
                "space": page.space,
                "title": page.title,
                "type": "page",
                "label": page.labels,
                "ancestor": [page.parent] if page.parent else [],
                "parent": page.parent or "",
                "id": page.id,
                "text": f"{page.title} {page.body}",
            }
            for clause in parsed:
                if clause.field not in values:
                    raise RestError(400, "Bad Request", f"Could not parse cql : {clause.field}")
            if all(clauses.holds(clause, values[clause.field]) for clause in parsed):
                found.append(page)
        return found

    def _search(self, _: dict[str, str], incoming: Incoming) -> tuple[int, Any]:
        query = incoming.query

        def result(page: Page) -> dict[str, Any]:
            content = self._content(page, _expand(query))
            return {
                "content": content,
                "title": page.title,
                "url": content["_links"]["webui"],
                "entityType": "content",
            }

        return 200, self._listing(self._cql(query), query, result)

    def _content_search(self, _: dict[str, str], incoming: Incoming) -> tuple[int, Any]:
        query = incoming.query
        found = self._cql(query)
        return 200, self._listing(found, query, lambda page: self._content(page, _expand(query)))

    def _listing(self, found: list[Page], query: dict[str, str], render: Any) -> dict[str, Any]:
        start = int(query.get("start", 0))
        size = page_size(query, "limit", 25, 100)
        window = found[start : start + size]
        links: dict[str, str] = {"base": self.url}
        if start + size < len(found):
            links["next"] = f"/rest/api/search?start={start + size}&limit={size}"
        return {
            "results": [render(page) for page in window],
            "start": start,
            "limit": size,
            "size": len(window),
            "totalSize": len(found),
            "_links": links,
        }


def _expand(query: dict[str, str]) -> str:
    return query.get("expand", "")
