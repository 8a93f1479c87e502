"""The declaration modal: building it from the policy, and reading a submission back."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, Field, ValidationError

from fireline.models import TEXT_MAX, TITLE_MAX, Declaration
from fireline.policy import SeverityPolicy
from fireline.render.text import plain, truncate
from fireline.user_text import multi_line, one_line

CALLBACK_ID = "declare_incident"
VALUE = "value"  # every input's action_id; the block_id names the field


class SourceMessage(BaseModel):
    """The message a declaration starts from (message shortcut), carried in private_metadata."""

    channel_id: str | None = None
    ts: str | None = None
    # Forms opened before the channel and ts were carried named it `source_permalink`.
    permalink: str | None = Field(
        default=None, validation_alias=AliasChoices("permalink", "source_permalink")
    )


def declare_modal(
    policy: SeverityPolicy,
    reporter_id: str,
    *,
    description: str = "",
    source: SourceMessage | None = None,
) -> dict[str, Any]:
    default = policy.level(policy.default)
    options = [
        _severity_option(level.name, level.label, level.description) for level in policy.levels
    ]
    blocks: list[dict[str, Any]] = [
        _input("title", "Title", _text_input(TITLE_MAX, placeholder="What is broken?")),
        _input(
            "severity",
            "Severity",
            {
                "type": "static_select",
                "action_id": VALUE,
                "options": options,
                **({"initial_option": options[policy.levels.index(default)]} if default else {}),
            },
        ),
        _input(
            "description",
            "Description",
            _text_input(TEXT_MAX, multiline=True, initial=description),
            optional=True,
        ),
        _input("impact", "Customer impact", _text_input(TEXT_MAX, multiline=True), optional=True),
        _input(
            "commander",
            "Incident commander",
            {"type": "users_select", "action_id": VALUE, "initial_user": reporter_id},
        ),
        _input(
            "private",
            "Visibility",
            {
                "type": "checkboxes",
                "action_id": VALUE,
                "options": [
                    {
                        "text": plain("Private incident"),
                        "description": plain(
                            "Private channel, no feed post, only the people named here"
                        ),
                        "value": "private",
                    }
                ],
            },
            optional=True,
        ),
    ]
    if policy.tags:
        blocks.append(
            _input(
                "tags",
                "Tags",
                {
                    "type": "multi_static_select",
                    "action_id": VALUE,
                    "options": [
                        {"text": plain(tag, 75), "value": tag[:150]} for tag in policy.tags
                    ],
                },
                optional=True,
            )
        )
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": plain("Declare incident", 24),
        "submit": plain("Declare", 24),
        "close": plain("Cancel", 24),
        "private_metadata": source.model_dump_json() if source else "{}",
        "blocks": blocks,
    }


def _severity_option(name: str, label: str, description: str) -> dict[str, Any]:
    option: dict[str, Any] = {"text": plain(f"{name} · {label}", 75), "value": name}
    if description:
        option["description"] = plain(truncate(description, 75), 75)
    return option


def _text_input(
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


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False
) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }


def read_submission(
    view: dict[str, Any], policy: SeverityPolicy, reporter_id: str, team_id: str | None
) -> Declaration | dict[str, str]:
    """The Declaration, or `{block_id: message}` for `response_action: errors`."""
    values = view.get("state", {}).get("values", {})

    def field(block_id: str) -> dict[str, Any]:
        return dict(values.get(block_id, {}).get(VALUE) or {})

    errors: dict[str, str] = {}
    title = one_line(field("title").get("value") or "")
    if not title:
        errors["title"] = "Give the incident a title (letters or digits, not only spaces)."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Keep the title to {TITLE_MAX} characters (this one has {len(title)})."

    severity = (field("severity").get("selected_option") or {}).get("value")
    if policy.level(str(severity)) is None:
        names = ", ".join(level.name for level in policy.levels)
        errors["severity"] = f"Choose a severity: {names}."

    texts = {}
    for block_id, label in (("description", "description"), ("impact", "impact")):
        text = multi_line(field(block_id).get("value") or "")
        if len(text) > TEXT_MAX:
            errors[block_id] = f"Keep the {label} to {TEXT_MAX} characters (it has {len(text)})."
        texts[block_id] = text

    tags = [option["value"] for option in field("tags").get("selected_options") or []]
    unknown = [tag for tag in tags if tag not in policy.tags]
    if unknown:
        errors["tags"] = f"Unknown tags: {', '.join(unknown)}."

    if errors:
        return errors
    try:
        source = SourceMessage.model_validate_json(view.get("private_metadata") or "{}")
    except ValidationError:
        source = SourceMessage()  # not ours (or mangled): the form's fields are all that matters
    return Declaration(
        title=title,
        severity=str(severity),
        description=texts["description"],
        impact=texts["impact"],
        reporter_id=reporter_id,
        commander_id=field("commander").get("selected_user") or reporter_id,
        private=bool(field("private").get("selected_options")),
        tags=tags,
        source_permalink=source.permalink,
        source_channel_id=source.channel_id,
        source_ts=source.ts,
        team_id=team_id,
    )
