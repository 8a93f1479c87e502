"""The incident workflow's signals: the API that Slack (through the bot) and operators (through
`temporal workflow signal`) share. One input model each; the workflow judges every change.

    temporal workflow signal --workflow-id <id> --name change_status \\
        --input '{"status": "identified", "by": "U123", "note": "optional text"}'

Fields are plain strings (not enums) so a change the workflow refuses still reaches it and its
actor is told why, instead of the signal being dropped as undecodable.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from fireline.models import TEXT_MAX

CHANGE_STATUS = "change_status"
CHANGE_SEVERITY = "change_severity"
ASSIGN_ROLE = "assign_role"
POST_UPDATE = "post_update"
ADD_NOTE = "add_note"
SNOOZE_REMINDER = "snooze_reminder"
ADD_FOLLOWUP = "add_followup"
REFRESH_POSTMORTEM = "refresh_postmortem"
PAGE_ONCALL = "page_oncall"
# The longest snooze: a day; the bot and the workflow both hold to it.
SNOOZE_MAX_MINUTES = 24 * 60


class Change(BaseModel):
    # The Slack user id of whoever made the change (operators may pass any id).
    by: str = Field(min_length=1, max_length=40)
    # The Slack action that made it (trigger id, view id or action_ts): a redelivered request
    # carrying the same id changes nothing twice. None from the CLI.
    request_id: str | None = Field(default=None, max_length=200)


class ChangeStatusInput(Change):
    status: str
    note: str = Field(default="", max_length=TEXT_MAX)


class ChangeSeverityInput(Change):
    severity: str


class AssignRoleInput(Change):
    role: str
    user: str = Field(min_length=1, max_length=40)


class PostUpdateInput(Change):
    text: str = Field(min_length=1, max_length=TEXT_MAX)
    status: str | None = None


class AddNoteInput(Change):
    text: str = Field(min_length=1, max_length=TEXT_MAX)


class SnoozeReminderInput(Change):
    # The next update reminder comes this many minutes from now (1 to SNOOZE_MAX_MINUTES).
    minutes: int


class AddFollowupInput(Change):
    """A follow-up: a Jira issue linked to the incident's, said in its channel and its doc."""

    text: str = Field(min_length=1, max_length=TEXT_MAX)


class RefreshPostmortemInput(Change):
    """Write the postmortem's timeline again from the incident and its channel."""


class PageOncallInput(Change):
    """Page on-call through PagerDuty for an incident whose level did not."""
