"""Notion's object shapes and its request validation: rich text, properties, blocks, limits.

Limits as the API documents them (developers.notion.com, request limits): 100 children per
append, 2,000 characters per rich text content, 100 rich text elements per array, two levels of
nesting per request. A violation is a 400 ``validation_error`` naming the path, as Notion does.
"""

from __future__ import annotations

from typing import Any

from ..rest import RestError

MAX_CHILDREN = 100
MAX_TEXT = 2000
MAX_RICH_TEXT = 100
MAX_NESTING = 2
# Property types the fake stores (what a postmortem database uses).
PROPERTY_TYPES = frozenset({"title", "rich_text", "number", "select", "date", "url", "checkbox"})
_ANNOTATIONS = {
    "bold": False,
    "italic": False,
    "strikethrough": False,
    "underline": False,
    "code": False,
    "color": "default",
}


def invalid(message: str) -> RestError:
    return RestError(400, "validation_error", f"body failed validation: {message}")


def too_long(path: str, limit: int, actual: int) -> RestError:
    return invalid(f"{path}.length should be ≤ `{limit}`, instead was `{actual}`.")


def rich_text(items: Any, path: str) -> list[dict[str, Any]]:
    """Validated rich text as Notion returns it (with plain_text and annotations)."""
    if not isinstance(items, list):
        raise invalid(f"{path} should be an array, instead was `{type(items).__name__}`.")
    if len(items) > MAX_RICH_TEXT:
        raise too_long(path, MAX_RICH_TEXT, len(items))
    out = []
    for index, item in enumerate(items):
        text = item.get("text") if isinstance(item, dict) else None
        if not isinstance(text, dict) or not isinstance(text.get("content"), str):
            raise invalid(f"{path}[{index}].text.content should be defined, instead was undefined.")
        content = text["content"]
        if len(content) > MAX_TEXT:
            raise too_long(f"{path}[{index}].text.content", MAX_TEXT, len(content))
        link = text.get("link")
        url = link.get("url") if isinstance(link, dict) else None
        if url is not None and len(url) > MAX_TEXT:
            raise too_long(f"{path}[{index}].text.link.url", MAX_TEXT, len(url))
        out.append(
            {
                "type": "text",
                "text": {"content": content, "link": {"url": url} if url else None},
                "annotations": {**_ANNOTATIONS, **(item.get("annotations") or {})},
                "plain_text": content,
                "href": url,
            }
        )
    return out


def plain(items: list[dict[str, Any]]) -> str:
    return "".join(item["plain_text"] for item in items)


def property_value(name: str, kind: str, value: Any) -> dict[str, Any]:
    """One page property, validated against the database schema's type."""
    path = f"body.properties.{name}.{kind}"
    if not isinstance(value, dict) or kind not in value:
        raise invalid(f"body.properties.{name}.{kind} should be defined, instead was undefined.")
    raw = value[kind]
    if kind in ("title", "rich_text"):
        stored: Any = rich_text(raw, path)
    elif kind == "select":
        if raw is not None and not isinstance(raw, dict):
            raise invalid(f"{path} should be an object or `null`.")
        stored = None if raw is None else {"name": str(raw.get("name", ""))}
    elif kind == "date":
        stored = None if raw is None else {"start": raw["start"], "end": raw.get("end")}
    elif kind == "url":
        if raw is not None and len(str(raw)) > MAX_TEXT:
            raise too_long(path, MAX_TEXT, len(str(raw)))
        stored = raw
    else:  # number, checkbox
        stored = raw
    return {"type": kind, kind: stored}


def block_content(block: Any, path: str) -> tuple[str, dict[str, Any], list[Any]]:
    """(type, content without children, children) of one block in a request."""
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        raise invalid(f"{path}.type should be defined, instead was undefined.")
    kind = block["type"]
    content = block.get(kind)
    if not isinstance(content, dict):
        raise invalid(f"{path}.{kind} should be defined, instead was undefined.")
    content = dict(content)
    children = content.pop("children", None) or []
    if "rich_text" in content:
        content["rich_text"] = rich_text(content["rich_text"], f"{path}.{kind}.rich_text")
    if kind == "table_row":
        content["cells"] = [
            rich_text(cell, f"{path}.{kind}.cells[{index}]")
            for index, cell in enumerate(content.get("cells", []))
        ]
    return kind, content, children


def check_children(children: Any, path: str, depth: int = 1) -> None:
    """The whole request's children, before anything is stored: Notion applies all or none."""
    if not isinstance(children, list):
        raise invalid(f"{path} should be an array.")
    if len(children) > MAX_CHILDREN:
        raise too_long(path, MAX_CHILDREN, len(children))
    for index, block in enumerate(children):
        _, _, nested = block_content(block, f"{path}[{index}]")
        if nested:
            if depth >= MAX_NESTING:
                raise invalid(
                    f"{path}[{index}].children should not be present, nesting is limited to "
                    f"{MAX_NESTING} levels."
                )
            check_children(nested, f"{path}[{index}].children", depth + 1)


def error_body(status: int, code: str, message: str, request_id: str) -> dict[str, Any]:
    return {
        "object": "error",
        "status": status,
        "code": code,
        "message": message,
        "request_id": request_id,
    }
