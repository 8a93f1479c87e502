"""Slack's validation rules: channel names and Block Kit limits.

Block errors use Slack's message style, e.g.
``[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]``.
"""

from __future__ import annotations

import re
from typing import Any

MESSAGE_MAX_BLOCKS = 50
SURFACE_MAX_BLOCKS = 100  # modals and Home tabs
MESSAGE_TEXT_MAX = 40_000
TOPIC_MAX = 250
PURPOSE_MAX = 250
CHANNEL_NAME_MAX = 80
ID_MAX = 255  # block_id, action_id, callback_id, external_id
PRIVATE_METADATA_MAX = 3000
VIEW_TEXT_MAX = 24  # modal title, submit, close
VIEW_MAX_BYTES = 250_000

_NAME_OK = re.compile(r"^[a-z0-9_-]+$")
BLOCK_TYPES = frozenset(
    {
        "section",
        "header",
        "divider",
        "context",
        "actions",
        "input",
        "image",
        "rich_text",
        "markdown",
        "file",
        "video",
        "table",
        "context_actions",
    }
)
TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})


def channel_name_error(name: str) -> str | None:
    """The conversations.create / rename error code for a name, or None if valid."""
    if not name:
        return "invalid_name_required"
    if len(name) > CHANNEL_NAME_MAX:
        return "invalid_name_maxlength"
    if not _NAME_OK.match(name):
        return "invalid_name_specials"
    if not name.strip("-_"):
        return "invalid_name_punctuation"
    return None


def _err(text: str, pointer: str) -> str:
    return f"[ERROR] {text} [json-pointer:{pointer}]"


def _too_long(value: Any, limit: int, pointer: str) -> list[str]:
    if isinstance(value, str) and len(value) > limit:
        return [_err(f"must be less than {limit + 1} characters", pointer)]
    return []


def _too_many(items: Any, limit: int, pointer: str) -> list[str]:
    if isinstance(items, list) and len(items) > limit:
        return [_err(f"no more than {limit} items allowed", pointer)]
    return []


def _text_obj(obj: Any, limit: int, pointer: str, *, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, dict):
        return [_err("must be an object", pointer)]
    kind = obj.get("type")
    if kind not in TEXT_TYPES or (plain_only and kind != "plain_text"):
        return [_err("must be a valid enum value", f"{pointer}/type")]
    return _too_long(obj.get("text", ""), limit, f"{pointer}/text")


def _element(el: Any, pointer: str) -> list[str]:
    if not isinstance(el, dict):
        return [_err("must be an object", pointer)]
    errors = _too_long(el.get("action_id"), ID_MAX, f"{pointer}/action_id")
    if el.get("type") == "button" and "text" in el:
        errors += _text_obj(el["text"], 75, f"{pointer}/text", plain_only=True)
    return errors


def _block(block: Any, p: str) -> list[str]:
    if not isinstance(block, dict):
        return [_err("must be an object", p)]
    kind = block.get("type")
    if not kind:
        return [_err("missing required field: type", p)]
    if kind not in BLOCK_TYPES:
        return [_err(f"unsupported type: {kind}", f"{p}/type")]
    errors = _too_long(block.get("block_id"), ID_MAX, f"{p}/block_id")
    if kind == "section":
        if "text" not in block and "fields" not in block:
            errors.append(_err("must provide either text or fields", p))
        if "text" in block:
            errors += _text_obj(block["text"], 3000, f"{p}/text")
        fields = block.get("fields") or []
        errors += _too_many(fields, 10, f"{p}/fields")
        for i, f in enumerate(fields if isinstance(fields, list) else []):
            errors += _text_obj(f, 2000, f"{p}/fields/{i}")
        if "accessory" in block:
            errors += _element(block["accessory"], f"{p}/accessory")
    elif kind == "header":
        errors += _text_obj(block.get("text"), 150, f"{p}/text", plain_only=True)
    elif kind in ("context", "actions"):
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            return [*errors, _err("must provide at least 1 item", f"{p}/elements")]
        errors += _too_many(elements, 10 if kind == "context" else 25, f"{p}/elements")
        if kind == "actions":
            for i, el in enumerate(elements):
                errors += _element(el, f"{p}/elements/{i}")
    elif kind == "input":
        errors += _text_obj(block.get("label"), 2000, f"{p}/label", plain_only=True)
        if "hint" in block:
            errors += _text_obj(block["hint"], 2000, f"{p}/hint", plain_only=True)
        errors += _element(block.get("element"), f"{p}/element")
    elif kind == "markdown":
        errors += _too_long(block.get("text"), 12_000, f"{p}/text")
    return errors


def block_errors(blocks: Any, base: str, max_blocks: int) -> list[str]:
    if not isinstance(blocks, list):
        return [_err("must be an array", base)]
    errors = _too_many(blocks, max_blocks, base)
    for i, block in enumerate(blocks):
        errors += _block(block, f"{base}/{i}")
    return errors


def view_errors(view: Any, *, expected_type: str) -> list[str]:
    """Validation messages for a modal / home view payload (empty if valid)."""
    if not isinstance(view, dict):
        return [_err("must be an object", "/view")]
    if view.get("type") != expected_type:
        return [_err("must be a valid enum value", "/view/type")]
    errors: list[str] = []
    if expected_type == "modal":
        if "title" not in view:
            errors.append(_err("missing required field: title", "/view"))
        else:
            errors += _text_obj(view["title"], VIEW_TEXT_MAX, "/view/title", plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                errors += _text_obj(view[key], VIEW_TEXT_MAX, f"/view/{key}", plain_only=True)
    errors += _too_long(
        view.get("private_metadata"), PRIVATE_METADATA_MAX, "/view/private_metadata"
    )
    errors += _too_long(view.get("callback_id"), ID_MAX, "/view/callback_id")
    errors += _too_long(view.get("external_id"), ID_MAX, "/view/external_id")
    errors += block_errors(view.get("blocks", []), "/view/blocks", SURFACE_MAX_BLOCKS)
    return errors
