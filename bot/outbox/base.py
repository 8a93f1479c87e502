"""The outbox's one interface: the entry, the store's operations, its one error."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from pydantic import BaseModel

from fireline.models import Declaration

# Renewed at every retry, which comes well within this; a stopped bot's entries wait this long.
LEASE = timedelta(seconds=30)
# Entries claimed per drain: the rest follow on the next one.
CLAIM_LIMIT = 100


class OutboxUnavailable(Exception):
    """The store cannot be read or written right now (database down, disk error)."""


class PendingDeclaration(BaseModel):
    """Everything needed to start the same incident later, on any bot."""

    # From the submitted view: a restarted bot reaches the incident a retry may have started.
    workflow_id: str
    declaration: Declaration
    declared_at: datetime
    # The reporter has been told the declaration is delayed (told once, whichever bot tells).
    delay_notified: bool = False


class Lease(Protocol):
    """What the bot delivering one entry asks of the store; False means another bot holds it
    or it is gone, so this bot must not tell the reporter anything."""

    async def renew(self, workflow_id: str) -> bool:
        """Extend this holder's lease."""
        ...

    async def take_delay_notice(self, workflow_id: str) -> bool:
        """True once, for the holder that is to tell the reporter the declaration is delayed."""
        ...

    async def remove(self, workflow_id: str) -> bool:
        """Remove the entry if this holder has it: Temporal accepted it, or it is given up."""
        ...


class Outbox(Lease, Protocol):
    async def add(self, entry: PendingDeclaration) -> bool:
        """Store the entry, leased to this holder; False when the workflow id is already pending
        (a redelivered submission)."""
        ...

    async def claim(self) -> list[PendingDeclaration]:
        """The entries whose lease ran out, now leased to this holder."""
        ...

    async def release(self) -> None:
        """Let the next bot claim this holder's entries at once (on shutdown)."""
        ...
