"""Slack message markup as plain text for a document: mentions as names, links as "label (url)"."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

_TOKEN = re.compile(r"<([^<>]+)>")


def plain_text(text: str, names: Mapping[str, str]) -> str:
    def token(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return "@" + (label or names.get(target[1:], target[1:]))
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!subteam^"):
            return label or "@group"
        if target.startswith("!date^"):
            return label or target
        if target.startswith("!"):
            return "@" + target[1:]
        return f"{label} ({target})" if label and label != target else target

    return html.unescape(_TOKEN.sub(token, text))
