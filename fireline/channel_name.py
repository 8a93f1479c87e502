"""Incident channel names within Slack's rules: lowercase a-z 0-9 - _, at most 80 characters."""

import re
import unicodedata

from anyascii import anyascii

MAX_LENGTH = 80
_NOT_ALLOWED = re.compile(r"[^a-z0-9_-]+")
_DASHES = re.compile(r"-{2,}")


def slugify(text: str) -> str:
    """Transliterate to ASCII (so `Café façade` keeps its words), then keep Slack's characters.
    Emoji and other symbols are dropped first: anyascii would spell 🔥 as `:fire:`."""
    text = "".join(" " if unicodedata.category(char) == "So" else char for char in text)
    slug = _NOT_ALLOWED.sub("-", anyascii(text).lower())
    return _DASHES.sub("-", slug).strip("-_")


def incident_channel_name(number: int, title: str, *, attempt: int = 1) -> str:
    """`inc-<number>-<slug>`; attempts after the first end in `-<attempt>` when a name is taken by
    a channel that is not this incident's."""
    prefix = f"inc-{number}"
    suffix = f"-{attempt}" if attempt > 1 else ""
    room = MAX_LENGTH - len(prefix) - len(suffix) - 1
    slug = slugify(title)[:room].rstrip("-_")
    return f"{prefix}-{slug}{suffix}" if slug else f"{prefix}{suffix}"


def status_channel_name(number: int, *, attempt: int = 1) -> str:
    """`inc-<number>-status`, the stakeholders' channel; `-<attempt>` as for incident channels."""
    return f"inc-{number}-status" + (f"-{attempt}" if attempt > 1 else "")
