"""Block Kit pieces every Fireline modal is built from, and reading a submitted field back.

Every input's action_id is VALUE; the block_id names the field, so `response_action: errors`
points at a field by its name.
"""

from __future__ import annotations

from typing import Any

from fireline.render.text import plain, truncate

VALUE = "value"


def input_block(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False
) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }


def text_input(
    max_length: int, *, multiline: bool = False, initial: str = "", placeholder: str = ""
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": VALUE,
        "max_length": max_length,
        "multiline": multiline,
    }
    if initial:
        element["initial_value"] = truncate(initial, max_length)
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    return element


def option(value: str, text: str, description: str = "") -> dict[str, Any]:
    choice: dict[str, Any] = {"text": plain(text, 75), "value": value}
    if description:
        choice["description"] = plain(truncate(description, 75), 75)
    return choice


def submitted(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    """The submitted state of one field (empty when the field was left out)."""
    values = view.get("state", {}).get("values", {})
    return dict(values.get(block_id, {}).get(VALUE) or {})
