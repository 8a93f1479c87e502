"""FakeNotion: pages, databases and their data sources (API version 2025-09-03), block children.

Operations (fault names): databases.retrieve, data_sources.retrieve, data_sources.query,
pages.create, pages.retrieve, pages.update, blocks.children.list, blocks.children.append,
blocks.retrieve, blocks.update, blocks.delete.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..http import Outcome
from ..rest import Incoming, RestError, RestFake, Route, page_size, route
from . import shapes
from .query import matches

_RATE_LIMITED = "You have been rate limited. Please try again in a few minutes."
_SERVER_CODES = {500: "internal_server_error", 503: "service_unavailable", 504: "gateway_timeout"}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Database:
    id: str
    title: str
    data_source_id: str
    schema: dict[str, str]  # property name -> type
    shared: bool = True


@dataclass
class Block:
    """A page or a block: both have children (``FakeNotion.children``)."""

    id: str
    kind: str  # "page" or the block type
    parent: dict[str, Any]
    content: dict[str, Any] = field(default_factory=dict)  # a block's typed content
    properties: dict[str, Any] = field(default_factory=dict)  # a page's
    in_trash: bool = False
    created: str = field(default_factory=_now)
    edited: str = field(default_factory=_now)


class FakeNotion(RestFake):
    name = "notion"

    def __init__(self, token: str = "secret_fake_notion_token") -> None:
        super().__init__()
        self.token = token
        self.reset_state()

    def reset_state(self) -> None:
        self._databases: dict[str, Database] = {}
        self._objects: dict[str, Block] = {}
        self._children: dict[str, list[str]] = {}

    # seeding and inspection ---------------------------------------------------------
    def add_database(self, title: str, schema: dict[str, str], *, shared: bool = True) -> str:
        """A database with one data source; ``schema`` maps property names to types (one title).
        ``shared=False`` is a database the integration was never given: 404 for it."""
        assert set(schema.values()) <= shapes.PROPERTY_TYPES, schema
        assert list(schema.values()).count("title") == 1, "a database has one title property"
        with self.lock:
            database = Database(str(uuid.uuid4()), title, str(uuid.uuid4()), schema, shared)
            self._databases[database.id] = database
            return database.id

    def share(self, database_id: str, shared: bool = True) -> None:
        """An admin shares the database with the integration (or stops sharing it)."""
        with self.lock:
            self._databases[database_id].shared = shared

    def pages(self, database_id: str | None = None) -> list[dict[str, Any]]:
        """Pages not in the trash (of one database), oldest first, as pages.retrieve shows them."""
        with self.lock:
            return [
                self._page_obj(page)
                for page in self._objects.values()
                if page.kind == "page"
                and not page.in_trash
                and (database_id is None or self._database_of(page) == database_id)
            ]

    def blocks(self, parent_id: str) -> list[dict[str, Any]]:
        """The live blocks under a page or block, in order, each with its nested ``children``."""
        with self.lock:
            return self._tree(parent_id)

    def text(self, parent_id: str) -> list[str]:
        """Each live block's plain text, depth first: what a reader sees, line by line."""

        def lines(tree: list[dict[str, Any]]) -> list[str]:
            out = []
            for block in tree:
                content = block[block["type"]]
                if "rich_text" in content:
                    out.append(shapes.plain(content["rich_text"]))
                if "cells" in content:
                    out.append(" | ".join(shapes.plain(cell) for cell in content["cells"]))
                out += lines(block["children"])
            return out

        return lines(self.blocks(parent_id))

    # the API ------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [
            route("GET", "/v1/databases/{id}", "databases.retrieve", self._retrieve_database),
            route("GET", "/v1/data_sources/{id}", "data_sources.retrieve", self._retrieve_source),
            route("POST", "/v1/data_sources/{id}/query", "data_sources.query", self._query),
            route("POST", "/v1/pages", "pages.create", self._create_page),
            route("GET", "/v1/pages/{id}", "pages.retrieve", self._retrieve_page),
            route("PATCH", "/v1/pages/{id}", "pages.update", self._update_page),
            route("GET", "/v1/blocks/{id}/children", "blocks.children.list", self._list),
            route("PATCH", "/v1/blocks/{id}/children", "blocks.children.append", self._append),
            route("GET", "/v1/blocks/{id}", "blocks.retrieve", self._retrieve_block),
            route("PATCH", "/v1/blocks/{id}", "blocks.update", self._update_block),
            route("DELETE", "/v1/blocks/{id}", "blocks.delete", self._delete_block),
        ]

    def authorized(self, headers: dict[str, str]) -> bool:
        return headers.get("authorization") == f"Bearer {self.token}"

    def unauthorized(self) -> RestError:
        return RestError(401, "unauthorized", "API token is invalid.")

    def not_found(self, request: Any) -> RestError:
        return RestError(
            400, "invalid_request_url", f"Invalid request URL: {request.verb} {request.path}"
        )

    def error_outcome(self, error: RestError, headers: dict[str, str] | None = None) -> Outcome:
        message = _RATE_LIMITED if error.code == "rate_limited" else error.message
        body = shapes.error_body(error.status, error.code, message, str(uuid.uuid4()))
        return Outcome.json(body, error.status, **(headers or {}))

    def server_error(self, status: int) -> Outcome:
        code = _SERVER_CODES.get(status)
        if code is None:  # a gateway's own page, not Notion's JSON
            return super().server_error(status)
        return self.error_outcome(RestError(status, code, "Notion is having trouble."))

    # handlers (under the lock) -------------------------------------------------------------
    def _database(self, database_id: str) -> Database:
        database = self._databases.get(database_id)
        if database is None or not database.shared:
            raise RestError(
                404,
                "object_not_found",
                f"Could not find database with ID: {database_id}. Make sure the relevant pages "
                "and databases are shared with your integration.",
            )
        return database

    def _data_source(self, data_source_id: str) -> Database:
        for database in self._databases.values():
            if database.data_source_id == data_source_id and database.shared:
                return database
        raise RestError(
            404, "object_not_found", f"Could not find data_source with ID: {data_source_id}."
        )

    def _object(self, object_id: str, what: str = "block") -> Block:
        found = self._objects.get(object_id)
        if found is None:
            raise RestError(404, "object_not_found", f"Could not find {what} with ID: {object_id}.")
        return found

    def _database_of(self, page: Block) -> str | None:
        parent = page.parent
        if parent.get("type") == "database_id":
            return str(parent["database_id"])
        return None

    def _retrieve_database(self, params: dict[str, str], _: Incoming) -> tuple[int, Any]:
        database = self._database(params["id"])
        return 200, {
            "object": "database",
            "id": database.id,
            "title": shapes.rich_text([{"text": {"content": database.title}}], "title"),
            "data_sources": [{"id": database.data_source_id, "name": database.title}],
            "in_trash": False,
        }

    def _retrieve_source(self, params: dict[str, str], _: Incoming) -> tuple[int, Any]:
        database = self._data_source(params["id"])
        return 200, {
            "object": "data_source",
            "id": database.data_source_id,
            "parent": {"type": "database_id", "database_id": database.id},
            "properties": {
                name: {"id": name.lower()[:4], "name": name, "type": kind, kind: {}}
                for name, kind in database.schema.items()
            },
        }

    def _query(self, params: dict[str, str], incoming: Incoming) -> tuple[int, Any]:
        database = self._data_source(params["id"])
        body = incoming.body or {}
        size = page_size({"n": str(body.get("page_size", 100))}, "n", 100, 100)
        rows = [
            page
            for page in self._objects.values()
            if page.kind == "page"
            and not page.in_trash
            and self._database_of(page) == database.id
            and matches(body.get("filter"), page.properties, database.schema)
        ]
        return 200, self._list_of(rows, body.get("start_cursor"), size, self._page_obj)

    def _create_page(self, _: dict[str, str], incoming: Incoming) -> tuple[int, Any]:
        body = incoming.body or {}
        parent = body.get("parent") or {}
        if "data_source_id" in parent:
            database: Database | None = self._data_source(parent["data_source_id"])
        elif "database_id" in parent:
            database = self._database(parent["database_id"])
        elif "page_id" in parent:
            database = None
            self._object(parent["page_id"], "page")
        else:
            raise shapes.invalid("body.parent should be defined, instead was undefined.")
        properties = self._properties(body.get("properties") or {}, database)
        if database is not None:
            missing = {
                name: kind for name, kind in database.schema.items() if name not in properties
            }
            for name, kind in missing.items():
                properties[name] = shapes.property_value(name, kind, {kind: _EMPTY[kind]})
            stored_parent = {
                "type": "database_id",
                "database_id": database.id,
                "data_source_id": database.data_source_id,
            }
        else:
            stored_parent = {"type": "page_id", "page_id": parent["page_id"]}
        children = body.get("children") or []
        shapes.check_children(children, "body.children")
        page = Block(str(uuid.uuid4()), "page", stored_parent, properties=properties)
        self._objects[page.id] = page
        self._children[page.id] = []
        self._insert(page.id, children, after=None)
        return 200, self._page_obj(page)

    def _properties(self, given: dict[str, Any], database: Database | None) -> dict[str, Any]:
        schema = database.schema if database else {"title": "title"}
        out = {}
        for name, value in given.items():
            if name not in schema:
                raise shapes.invalid(f"{name} is not a property that exists.")
            out[name] = shapes.property_value(name, schema[name], value)
        return out

    def _retrieve_page(self, params: dict[str, str], _: Incoming) -> tuple[int, Any]:
        return 200, self._page_obj(self._page(params["id"]))

    def _page(self, page_id: str) -> Block:
        page = self._object(page_id, "page")
        if page.kind != "page":
            raise RestError(404, "object_not_found", f"Could not find page with ID: {page_id}.")
        return page

    def _update_page(self, params: dict[str, str], incoming: Incoming) -> tuple[int, Any]:
        page = self._page(params["id"])
        body = incoming.body or {}
        if page.in_trash and body.get("in_trash", True) is not False:
            raise shapes.invalid("Can't edit page that is archived. You must unarchive it first.")
        database_id = self._database_of(page)
        database = self._databases[database_id] if database_id else None
        page.properties.update(self._properties(body.get("properties") or {}, database))
        for flag in ("in_trash", "archived"):
            if flag in body:
                page.in_trash = bool(body[flag])
        page.edited = _now()
        return 200, self._page_obj(page)

    def _list(self, params: dict[str, str], incoming: Incoming) -> tuple[int, Any]:
        parent = self._object(params["id"])
        size = page_size(incoming.query, "page_size", 100, 100)
        live = [self._objects[i] for i in self._children.get(parent.id, [])]
        live = [block for block in live if not block.in_trash]
        return 200, self._list_of(live, incoming.query.get("start_cursor"), size, self._block_obj)

    def _append(self, params: dict[str, str], incoming: Incoming) -> tuple[int, Any]:
        parent = self._object(params["id"])
        if parent.in_trash:
            raise shapes.invalid("Can't edit block that is archived. You must unarchive it first.")
        body = incoming.body or {}
        children = body.get("children")
        shapes.check_children(children, "body.children")
        after = body.get("after")
        if after is not None and after not in self._children.get(parent.id, []):
            raise shapes.invalid(f"body.after is not a child of {parent.id}.")
        added = self._insert(parent.id, children, after)
        results = [self._block_obj(self._objects[i]) for i in added]
        return 200, {"object": "list", "results": results, "next_cursor": None, "has_more": False}

    def _insert(self, parent_id: str, children: list[Any], after: str | None) -> list[str]:
        """Store already-validated children (and theirs) under parent, after `after` or last."""
        parent = self._objects[parent_id]
        parent_ref = (
            {"type": "page_id", "page_id": parent_id}
            if parent.kind == "page"
            else {"type": "block_id", "block_id": parent_id}
        )
        added = []
        for block in children:
            kind, content, nested = shapes.block_content(block, "body.children")
            stored = Block(str(uuid.uuid4()), kind, parent_ref, content=content)
            self._objects[stored.id] = stored
            self._children[stored.id] = []
            added.append(stored.id)
            self._insert(stored.id, nested, None)
        siblings = self._children.setdefault(parent_id, [])
        at = siblings.index(after) + 1 if after is not None else len(siblings)
        siblings[at:at] = added
        return added

    def _retrieve_block(self, params: dict[str, str], _: Incoming) -> tuple[int, Any]:
        return 200, self._block_obj(self._object(params["id"]))

    def _update_block(self, params: dict[str, str], incoming: Incoming) -> tuple[int, Any]:
        block = self._object(params["id"])
        body = incoming.body or {}
        if block.kind in body:
            _, content, _ = shapes.block_content(
                {"type": block.kind, block.kind: body[block.kind]}, "body"
            )
            block.content = content
        if "in_trash" in body or "archived" in body:
            block.in_trash = bool(body.get("in_trash", body.get("archived")))
        block.edited = _now()
        return 200, self._block_obj(block)

    def _delete_block(self, params: dict[str, str], _: Incoming) -> tuple[int, Any]:
        block = self._object(params["id"])
        block.in_trash = True
        block.edited = _now()
        return 200, self._block_obj(block)

    # shapes of answers -----------------------------------------------------------------
    def _list_of(
        self, items: list[Block], cursor: str | None, size: int, render: Any
    ) -> dict[str, Any]:
        ids = [item.id for item in items]
        if cursor is not None and cursor not in ids:
            raise shapes.invalid(f"start_cursor provided is invalid: {cursor}")
        start = ids.index(cursor) if cursor is not None else 0
        window = items[start : start + size]
        more = start + size < len(items)
        return {
            "object": "list",
            "results": [render(item) for item in window],
            "next_cursor": ids[start + size] if more else None,
            "has_more": more,
            "type": "block" if items and items[0].kind != "page" else "page_or_data_source",
        }

    def _page_obj(self, page: Block) -> dict[str, Any]:
        properties = {
            name: {"id": name.lower()[:4], **value} for name, value in page.properties.items()
        }
        return {
            "object": "page",
            "id": page.id,
            "created_time": page.created,
            "last_edited_time": page.edited,
            "parent": copy.deepcopy(page.parent),
            "in_trash": page.in_trash,
            "archived": page.in_trash,
            "properties": copy.deepcopy(properties),
            "url": f"https://www.notion.so/{page.id.replace('-', '')}",
        }

    def _block_obj(self, block: Block) -> dict[str, Any]:
        return {
            "object": "block",
            "id": block.id,
            "parent": copy.deepcopy(block.parent),
            "type": block.kind,
            block.kind: copy.deepcopy(block.content),
            "has_children": any(
                not self._objects[i].in_trash for i in self._children.get(block.id, [])
            ),
            "in_trash": block.in_trash,
            "archived": block.in_trash,
            "created_time": block.created,
            "last_edited_time": block.edited,
        }

    def _tree(self, parent_id: str) -> list[dict[str, Any]]:
        return [
            {**self._block_obj(self._objects[i]), "children": self._tree(i)}
            for i in self._children.get(parent_id, [])
            if not self._objects[i].in_trash
        ]


_EMPTY: dict[str, Any] = {
    "title": [],
    "rich_text": [],
    "number": None,
    "select": None,
    "date": None,
    "url": None,
    "checkbox": False,
}
