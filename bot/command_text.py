"""Reading what follows `/incident`.

Slack sends a command's text with `&`, `<` and `>` as entities, and (the manifest sets
`should_escape`) people, channels and links as `<@U123|name>`, `<#C123|name>`, `<https://...>`.
"""

from __future__ import annotations

import re

# <@U123|name> as escaped, <@U123> as some clients send it; W for Enterprise Grid users.
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_ENTITY = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")
_SIGILS = {"@": "@", "#": "#", "!": "@"}
# `30m`, `2h`, `1h30m`, `90 min`: hours and/or minutes.
_DURATION = re.compile(r"(?:(\d+)\s*h(?:ours?|rs?)?)?\s*(?:(\d+)\s*m(?:in(?:utes?|s)?)?)?")


def split(text: str) -> tuple[str, str]:
    """(subcommand in lower case, the rest) of a command's text."""
    name, _, rest = text.strip().partition(" ")
    return name.lower(), rest.strip()


def mentioned_user(word: str) -> str | None:
    """The user id of an @-mention picked in Slack; None for anything else, a typed `@name`
    included (it names no one for sure)."""
    match = _MENTION.fullmatch(word)
    return match.group(1) if match else None


def as_typed(text: str) -> str:
    """Text as the person read it when typing it: entities back to characters, mentions and
    channels as `@name` and `#name`, links as their address. Fireline keeps plain text and
    escapes it wherever it shows it, so a note can neither ping anyone nor carry markup."""
    return (
        _ENTITY.sub(_readable, text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    )


def _readable(entity: re.Match[str]) -> str:
    target, label = entity.group(1), entity.group(2)
    sigil = _SIGILS.get(target[0])
    if sigil is None:
        return target  # a link
    name = label or target[1:].split("^")[-1]
    return name if name.startswith(sigil) else sigil + name


def duration_minutes(text: str) -> int | None:
    """The minutes in `30m`, `2h`, `1h30m` or `90 min`; None for anything else."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None or not any(match.groups()):
        return None
    hours, minutes = (int(group or 0) for group in match.groups())
    return hours * 60 + minutes
