"""Payload types shared by the bot, the workflows and the activities.

Every workflow, activity, signal and update takes one of these models, so a field can be added
without breaking running incidents (new fields always get defaults).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from fireline.policy import SeverityLevel, SeverityPolicy

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


class TrackingPlan(BaseModel):
    """Which of the postmortem doc and the Jira issue this deployment makes (fireline/integrations),
    captured at declaration like the policy: an incident keeps what it started with."""

    doc_backend: str | None = None  # "notion" or "confluence"
    jira: bool = False
    # Private incidents' issues go to JIRA_PRIVATE_PROJECT; without it they get none.
    jira_private_project: bool = False


class PagingPlan(BaseModel):
    """Which of PagerDuty's two APIs this deployment uses (fireline/pagerduty.py), captured at
    declaration like the tracking plan: a deployment without them spends no activity asking.
    Both on for incidents from before the plan, which asked the activities."""

    events: bool = True  # PAGERDUTY_ROUTING_KEY: pages are sent
    oncall: bool = True  # PAGERDUTY_API_TOKEN and escalation policies: who is on call is read


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
    # The whole policy as it was at declaration: severity changes and roles are judged by it.
    # None for incidents declared before it was carried (they keep their level).
    policy: SeverityPolicy | None = None
    tracking: TrackingPlan = Field(default_factory=TrackingPlan)
    paging: PagingPlan = Field(default_factory=PagingPlan)
    # Set when a weeks-long incident continues as new: the whole state of the run before, as
    # IncidentState (workflows/incident/state.py) dumps it. A dict here, since that model belongs
    # to the workflow and imports this module; the workflow validates it.
    carried: dict[str, Any] | None = None
    # A run continues as new once its history holds this many events, or sooner when Temporal
    # suggests it: well before Temporal's 10,240-event warning. Tests set it low.
    events_per_run: int = Field(default=8000, gt=0, le=9000)


class ChannelRef(BaseModel):
    id: str
    name: str
    url: str


def incident_reference(number: int) -> str:
    """How people name an incident: INC-12."""
    return f"INC-{number}"


class ReminderKind(StrEnum):
    """What the incident reminds or nudges about (workflows/incident/reminders.py)."""

    UPDATE = "update"  # post a status update
    UNCLAIMED_ROLE = "unclaimed_role"  # someone should take the commander or a required role
    STALE = "stale"  # open for days: resolve it or say why not
    POSTMORTEM = "postmortem"  # resolved, the postmortem is due: close it


class IncidentLink(BaseModel):
    """Something made for the incident in another system (the postmortem doc, the Jira issue, a
    follow-up); the record keeps each in `incident_links`."""

    kind: str  # "notion_page", "confluence_page", "jira_issue", "jira_followup"
    external_id: str  # the page id, the issue key
    url: str
    title: str = ""


class StatusUpdate(BaseModel):
    """The last status update posted (`post_update`)."""

    text: str
    by: str
    at: datetime
    status: IncidentStatus


class IncidentSnapshot(BaseModel):
    """The incident as the workflow knows it; what queries return and what the record stores."""

    incident_id: str
    number: int
    declaration: Declaration
    severity: SeverityLevel
    status: IncidentStatus = IncidentStatus.INVESTIGATING
    declared_at: datetime
    channel: ChannelRef | None = None
    # The stakeholders' channel, for levels with `status_channel` (never for private incidents).
    status_channel: ChannelRef | None = None
    summary_ts: str | None = None
    feed_ts: str | None = None
    workflow_url: str
    # What could not be done, said once in the incident channel.
    problems: list[str] = Field(default_factory=list)
    # Every declaration step has finished (done, or given up and reported).
    declaration_complete: bool = False
    # Role name -> Slack user id; the commander is the one named at declaration until changed.
    roles: dict[str, str] = Field(default_factory=dict)
    # When the incident first reached each status (cleared again when it is reopened before it).
    identified_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    last_update: StatusUpdate | None = None
    timeline_length: int = 0
    # The reminders pending and when each is due (workflow time), earliest first.
    reminders: dict[ReminderKind, datetime] = Field(default_factory=dict)
    # The postmortem doc, the Jira issue and follow-ups made for it, in the order they were made.
    links: list[IncidentLink] = Field(default_factory=list)
    # What the incident was deliberately given none of, and why ("No Jira issue: ...").
    left_out: list[str] = Field(default_factory=list)

    @property
    def reference(self) -> str:
        return incident_reference(self.number)

    @property
    def commander_id(self) -> str:
        return self.roles.get("commander", self.declaration.commander_id)


class TimelineEvent(BaseModel):
    """One row of the incident's timeline, written to the record once (keyed by `key`)."""

    # Unique within the incident and stable across replays and retries ("event:<n>").
    key: str
    kind: str  # status_changed, severity_changed, role_assigned, update_posted, note_added
    at: datetime
    actor_id: str
    old: str | None = None
    new: str | None = None
    text: str = ""


class RecordInput(BaseModel):
    """The incident and the timeline events the record does not hold yet."""

    incident: IncidentSnapshot
    events: list[TimelineEvent] = Field(default_factory=list)


class CounterState(BaseModel):
    """IncidentCounter's state, carried across continue-as-new."""

    last_number: int = 0
    recent: list[tuple[str, int]] = Field(default_factory=list)
    # The counter has read the record's highest number (see IncidentCounterWorkflow): a new run
    # reads it again when the last read failed.
    floor_known: bool = False
    # Temporal caps an execution at 2,000 Updates; the counter continues as new well before.
    updates_per_run: int = Field(default=500, gt=0, le=1500)


class AllocateNumbersInput(BaseModel):
    # Incident workflow ids, allocated together in order: a key seen before (a retried allocation)
    # gets the number it was already given.
    keys: list[str] = Field(min_length=1)
    # A number the record holds for another incident (an incident asking again after a
    # collision): the counter reads the record's highest number again and allocates above both.
    taken: int = Field(default=0, ge=0)


class RenumberInput(BaseModel):
    incident_id: str
    # The number the record refused because another incident holds it.
    taken: int
