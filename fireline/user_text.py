"""Cleaning what people type before Fireline keeps it.

Control and format characters (zero-width spaces, bidi overrides, NUL) are invisible in Slack and
break what is built from the text: a title made only of them looks blank in the summary and
makes a blank channel-name part, and PostgreSQL refuses NUL in text for good.
"""

from __future__ import annotations

import re
import unicodedata

# Cc: control characters; Cf: format characters (zero-width, bidi controls, soft hyphen).
_INVISIBLE = {"Cc", "Cf"}
# The joiner that builds emoji sequences (👩‍💻) is kept; it shows nothing on its own.
_JOINER = "\u200d"
_SPACES = re.compile(r"\s+")


def _visible(text: str, keep: str) -> str:
    kept = "".join(
        ch for ch in text if unicodedata.category(ch) not in _INVISIBLE or ch in keep
    ).strip()
    # Nothing left but joiners and spaces: nothing a reader would see.
    return kept if kept.replace(_JOINER, "").strip() else ""


def one_line(text: str) -> str:
    """A title: invisible characters removed, runs of whitespace (newlines too) made one space."""
    return _SPACES.sub(" ", _visible(text, keep=" \t\n" + _JOINER)).strip()


def multi_line(text: str) -> str:
    """A description: invisible characters removed, lines kept."""
    return _visible(text.replace("\r\n", "\n"), keep="\n\t" + _JOINER)


def without_nul(text: str) -> str:
    """What PostgreSQL can store: it refuses NUL in text, whatever its source."""
    return text.replace("\x00", "")
