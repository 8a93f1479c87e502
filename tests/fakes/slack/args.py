"""Request-argument parsing: form/JSON/query bodies into one normalised dict.

slack_sdk sends some methods form-encoded (booleans as "1"/"0", blocks and
metadata as JSON strings, users as a comma list) and others as JSON. Handlers
and fault predicates see the same normalised shape either way.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any
from urllib.parse import parse_qsl

# Arguments Slack documents as JSON-encoded strings when form-encoded.
JSON_ARGS = frozenset({"blocks", "attachments", "metadata", "view", "user_auth_blocks"})
BOOL_ARGS = frozenset(
    {
        "is_private",
        "force",
        "include_all_metadata",
        "exclude_archived",
        "inclusive",
        "reply_broadcast",
        "return_im",
        "include_num_members",
        "include_locale",
        "unfurl_links",
        "unfurl_media",
        "mrkdwn",
        "as_user",
        "link_names",
        "replace_original",
        "delete_original",
    }
)
LIST_ARGS = frozenset({"users", "channel_ids", "user_ids"})


class SlackError(Exception):
    """A Slack method failure: becomes HTTP 200 {"ok": false, "error": code, **extra}."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.code, **self.extra}


def parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """Parse a request body (JSON or x-www-form-urlencoded) into a dict."""
    if not raw:
        return {}
    text = raw.decode("utf-8")
    if "json" in content_type.lower():
        parsed = json.loads(text)
        return parsed if isinstance(parsed, dict) else {}
    return dict(parse_qsl(text, keep_blank_values=True))


def parse_query(query: str) -> dict[str, Any]:
    return dict(parse_qsl(query, keep_blank_values=True))


def normalise(raw: dict[str, Any]) -> dict[str, Any]:
    """Decode JSON-string args, "1"/"true" booleans and list args into Python values."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in JSON_ARGS and isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            # undecodable JSON stays a string; the handler reports the format error
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        elif key in BOOL_ARGS:
            value = to_bool(value)
        elif key in LIST_ARGS and isinstance(value, list | tuple):
            value = ",".join(str(v) for v in value)
        out[key] = value
    return out


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return str(value).strip().lower() in ("1", "true", "yes")


class Args:
    """Typed access to one request's normalised arguments."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def __contains__(self, key: str) -> bool:
        return key in self.data and self.data[key] not in (None, "")

    def text(self, key: str, default: str = "") -> str:
        value = self.data.get(key)
        return default if value is None else str(value)

    def opt(self, key: str) -> str | None:
        value = self.data.get(key)
        return None if value in (None, "") else str(value)

    def flag(self, key: str, default: bool = False) -> bool:
        return to_bool(self.data[key]) if key in self.data else default

    def integer(self, key: str, default: int) -> int:
        try:
            return int(self.data.get(key) or default)
        except (TypeError, ValueError):
            raise SlackError("invalid_arguments") from None

    def ids(self, key: str) -> list[str]:
        value = self.data.get(key)
        if value is None:
            return []
        items = value if isinstance(value, list) else str(value).split(",")
        return [str(v).strip() for v in items if str(v).strip()]

    def decoded(self, key: str) -> Any:
        """The argument as a decoded JSON value (None if absent); bad JSON -> invalid_json."""
        value = self.data.get(key)
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise SlackError("invalid_json") from None
        return value
