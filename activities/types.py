"""Inputs and results of the Slack activities (one model each, so fields can be added safely)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class CreateChannelInput(BaseModel):
    incident_id: str
    number: int
    title: str
    private: bool
    # A channel created before this moment cannot be this incident's (checked on name_taken).
    not_before: datetime


class CreateStatusChannelInput(BaseModel):
    number: int
    # A channel created before this moment cannot be this incident's (checked on name_taken).
    not_before: datetime
    # The incident's own channel, never adopted as its status channel (its title may be "status").
    incident_channel_id: str


class RenameChannelInput(BaseModel):
    channel_id: str
    # The incident's new number, after the record found its old one taken.
    number: int
    title: str


class DescribeChannelInput(BaseModel):
    channel_id: str
    topic: str
    # Slack's channel description.
    purpose: str


class UpsertMessageInput(BaseModel):
    incident_id: str
    # Which of the incident's messages this is ("summary", "feed", "reporter_dm", ...): with the
    # incident id it is stored in the message metadata, so a retry finds the message it posted.
    step: str
    # A channel ID, or a user ID for a direct message.
    channel: str
    text: str
    blocks: list[dict[str, Any]] = Field(default_factory=list)
    ts: str | None = None
    # Post as a reply in this message's thread.
    thread_ts: str | None = None
    # Pin it too, in passing: the common case in one step. A pin that fails does not fail the
    # message (see MessageResult.pin_failed).
    pin: bool = False
    not_before: datetime


class MessageResult(BaseModel):
    channel: str | None = None
    ts: str | None = None
    # Set when Slack refused for a reason retrying cannot fix (not in channel, user deactivated).
    problem: str | None = None
    # Posted, but the pin it asked for did not take: pin it as a step of its own (pin_message).
    pin_failed: bool = False

    def problems(self, saying: str = "") -> list[str]:
        """The refusal as the one problem to report (after `saying`), or none."""
        return [f"{saying}{self.problem}"] if self.problem else []


class PinInput(BaseModel):
    channel: str
    ts: str


class BookmarkInput(BaseModel):
    channel_id: str
    title: str
    link: str


class InviteInput(BaseModel):
    channel_id: str
    user_ids: list[str]


class StepResult(BaseModel):
    """What a best-effort step could not do, each said once in the incident channel."""

    problems: list[str] = Field(default_factory=list)


class TellUserInput(BaseModel):
    channel: str
    user: str
    text: str


class ArchiveChannelInput(BaseModel):
    channel_id: str


class FindUsersInput(BaseModel):
    emails: list[str]


class FoundUsers(BaseModel):
    # Email -> Slack user id, for each email an active Slack user has.
    user_ids: dict[str, str] = Field(default_factory=dict)
    # Emails no active Slack user has.
    missing: list[str] = Field(default_factory=list)
