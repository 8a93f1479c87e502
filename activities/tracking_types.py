"""Inputs and results of the postmortem doc and Jira activities (one model each, so fields can be
added safely)."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, Field

from fireline.models import IncidentLink

_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def incident_label(incident_id: str) -> str:
    """The label that finds an incident's issue or page again: its workflow id, label-safe (Jira
    and Confluence labels take no spaces)."""
    return "fireline-" + _LABEL_UNSAFE.sub("-", incident_id)[:230]


class EnsureResult(BaseModel):
    """The doc or issue (found or created), or why there is none (not configured, private)."""

    ref: IncidentLink | None = None
    skipped: str | None = None


class EnsureIssueInput(BaseModel):
    incident_id: str
    number: int
    title: str
    severity: str
    private: bool
    channel_url: str
    workflow_url: str


class CommentIssueInput(BaseModel):
    key: str
    text: str
    # Unique per comment within the incident ("event:7"): a retry finds the comment it posted.
    marker: str


class CloseIssueInput(BaseModel):
    key: str


class FollowupInput(BaseModel):
    incident_id: str
    number: int
    parent_key: str
    text: str = Field(min_length=1)
    # Unique per follow-up within the incident ("event:9").
    marker: str


class DocHeader(BaseModel):
    """What the doc's header table and properties say about the incident."""

    number: int
    title: str
    severity: str
    status: str
    commander: str
    declared_at: datetime
    channel_url: str
    # Durations, once reached ("1h 20m"); filled on resolve.
    durations: dict[str, str] = Field(default_factory=dict)


class EnsureDocInput(BaseModel):
    incident_id: str
    private: bool
    header: DocHeader


class UpdateDocHeaderInput(BaseModel):
    ref: IncidentLink
    header: DocHeader


class DocSection(BaseModel):
    """A section Fireline manages in the doc, under its own heading, replaced whole: a refresh never
    duplicates it and never touches what people wrote in the other sections."""

    heading: str  # "Incident", "Timeline", "Follow-ups"
    lines: list[str] = Field(default_factory=list)
    # A two-column table (name, value) instead of lines: the header.
    rows: list[tuple[str, str]] = Field(default_factory=list)


class DocSectionInput(BaseModel):
    ref: IncidentLink
    section: DocSection


class SectionWritten(BaseModel):
    # False when the section already said exactly this: nothing was written.
    changed: bool


class TranscriptInput(BaseModel):
    channel_id: str
    # Messages from this moment on (the declaration, less a minute).
    oldest: datetime
    # People the incident's timeline names: their names come back too.
    user_ids: list[str] = Field(default_factory=list)


class UserNamesInput(BaseModel):
    user_ids: list[str]


class UserNames(BaseModel):
    # Slack user id -> the name Slack shows (the id itself when Slack knows no such user).
    names: dict[str, str] = Field(default_factory=dict)


class TranscriptMessage(BaseModel):
    at: datetime
    author: str
    text: str
    # A reply in a thread, listed under the message it answers.
    reply: bool = False


class Transcript(BaseModel):
    """What people said in the channel, oldest first, each thread under its message."""

    messages: list[TranscriptMessage] = Field(default_factory=list)
    names: dict[str, str] = Field(default_factory=dict)
    # Messages beyond the size a workflow payload may carry, the oldest kept.
    left_out: int = 0
