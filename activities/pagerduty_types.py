"""Inputs and results of the PagerDuty activities (one model each, so fields can be added)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class PageLink(BaseModel):
    href: str
    text: str


class PageInput(BaseModel):
    """One Events API v2 event about the incident's alert."""

    action: Literal["trigger", "resolve"]
    # The incident's workflow id: every event about the incident names the same alert.
    dedup_key: str
    # Trigger only: what responders read first, and what the alert carries.
    summary: str = ""
    severity: Literal["critical", "error", "warning", "info"] = "critical"
    timestamp: datetime | None = None
    links: list[PageLink] = Field(default_factory=list)
    custom_details: dict[str, Any] = Field(default_factory=dict)


class PageResult(BaseModel):
    # False: paging is off (no PAGERDUTY_ROUTING_KEY on the worker); nothing was sent.
    sent: bool


class OnCallInput(BaseModel):
    """Who is on call now for the escalation policies the worker is configured with."""


class OnCallPerson(BaseModel):
    pagerduty_id: str
    name: str
    email: str


class OnCallResult(BaseModel):
    # False: the on-call lookup is off (no PAGERDUTY_API_TOKEN or escalation policies).
    configured: bool
    people: list[OnCallPerson] = Field(default_factory=list)
