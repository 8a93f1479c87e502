"""What Temporal's list view says about an incident. It is stored in the clear as far as anyone
with access to the UI is concerned, so a private incident's title never appears in it."""

from __future__ import annotations

from fireline.models import Declaration

PRIVATE_TITLE = "private incident"


def workflow_summary(number: int, severity: str, declaration: Declaration) -> str:
    title = PRIVATE_TITLE if declaration.private else declaration.title
    return f"INC-{number} · {severity}: {title}"
