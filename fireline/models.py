"""Payload types shared by the bot, the workflows and the activities.

Every workflow, activity, signal and update takes one of these models, so a field can be added
without breaking running incidents (new fields always get defaults).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from fireline.policy import SeverityLevel

TITLE_MAX = 150
TEXT_MAX = 3000


class IncidentStatus(StrEnum):
    """In the lifecycle's order; the moves between them are in workflows/lifecycle.py."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Declaration(BaseModel):
    """What the reporter typed into the declaration form, validated by the bot."""

    title: str = Field(min_length=1, max_length=TITLE_MAX)
    severity: str
    description: str = Field(default="", max_length=TEXT_MAX)
    impact: str = Field(default="", max_length=TEXT_MAX)
    reporter_id: str
    commander_id: str
    private: bool = False
    tags: list[str] = Field(default_factory=list)
    # Set when declared from a message shortcut: the message the incident started from.
    source_permalink: str | None = None
    source_channel_id: str | None = None
    source_ts: str | None = None
    team_id: str | None = None


class DeclareIncidentInput(BaseModel):
    incident_id: str
    # Allocated by the IncidentCounter workflow before the incident starts (see bot.declare).
    number: int
    declaration: Declaration
    # The policy level is captured at declaration: an incident keeps the rules it started with.
    severity: SeverityLevel
    always_invite: list[str] = Field(default_factory=list)
    feed_channel: str | None = None
    temporal_ui_url: str
    declared_at: datetime


class ChannelRef(BaseModel):
    id: str
    name: str
    url: str


def incident_reference(number: int) -> str:
    """How people name an incident: INC-12."""
    return f"INC-{number}"


class IncidentSnapshot(BaseModel):
    """The incident as the workflow knows it; what queries return and what the record stores."""

    incident_id: str
    number: int
    declaration: Declaration
    severity: SeverityLevel
    status: IncidentStatus = IncidentStatus.INVESTIGATING
    declared_at: datetime
    channel: ChannelRef | None = None
    summary_ts: str | None = None
    feed_ts: str | None = None
    workflow_url: str
    # What could not be done, said once in the incident channel.
    problems: list[str] = Field(default_factory=list)
    # Every declaration step has finished (done, or given up and reported).
    declaration_complete: bool = False

    @property
    def reference(self) -> str:
        return incident_reference(self.number)


class CounterState(BaseModel):
    """IncidentCounter's state, carried across continue-as-new."""

    last_number: int = 0
    recent: list[tuple[str, int]] = Field(default_factory=list)
    # Temporal caps an execution at 2,000 Updates; the counter continues as new well before.
    updates_per_run: int = Field(default=500, gt=0, le=1500)


class AllocateNumbersInput(BaseModel):
    # Incident workflow ids, allocated together in order: a key seen before (a retried allocation)
    # gets the number it was already given.
    keys: list[str] = Field(min_length=1)
