"""The declaration modal: building it from the policy, and reading a submission back."""

from __future__ import annotations

from functools import partial
from typing import Any

from pydantic import AliasChoices, BaseModel, Field, ValidationError

from bot.form_blocks import VALUE, input_block, option, submitted, text_input
from fireline.models import TEXT_MAX, TITLE_MAX, Declaration
from fireline.policy import SeverityPolicy
from fireline.render.text import plain
from fireline.user_text import multi_line, one_line

CALLBACK_ID = "declare_incident"


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
        option(level.name, f"{level.name} · {level.label}", level.description)
        for level in policy.levels
    ]
    blocks: list[dict[str, Any]] = [
        input_block("title", "Title", text_input(TITLE_MAX, placeholder="What is broken?")),
        input_block(
            "severity",
            "Severity",
            {
                "type": "static_select",
                "action_id": VALUE,
                "options": options,
                **({"initial_option": options[policy.levels.index(default)]} if default else {}),
            },
        ),
        input_block(
            "description",
            "Description",
            text_input(TEXT_MAX, multiline=True, initial=description),
            optional=True,
        ),
        input_block(
            "impact", "Customer impact", text_input(TEXT_MAX, multiline=True), optional=True
        ),
        input_block(
            "commander",
            "Incident commander",
            {"type": "users_select", "action_id": VALUE, "initial_user": reporter_id},
        ),
        input_block(
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
            input_block(
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


def read_submission(
    view: dict[str, Any], policy: SeverityPolicy, reporter_id: str, team_id: str | None
) -> Declaration | dict[str, str]:
    """The Declaration, or `{block_id: message}` for `response_action: errors`."""
    field = partial(submitted, view)
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

    tags = [choice["value"] for choice in field("tags").get("selected_options") or []]
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
