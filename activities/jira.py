"""Jira activities: the incident's issue, its comments, its close, and follow-ups linked to it.

Jira has no idempotency key, so every create is found first by a JQL search on a label that
carries the incident's id (and the follow-up's marker): a retried attempt, a replay or a worker
killed after the create call finds the issue instead of making a second. Comments carry a marker
a retry looks for. atlassian-python-api is synchronous; each call runs in a thread and ends within
its own timeout (activities/clients.py), well inside the activity's start-to-close.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from atlassian import Jira
from atlassian.errors import ApiError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.tracking_types import (
    CloseIssueInput,
    CommentIssueInput,
    EnsureIssueInput,
    EnsureResult,
    FollowupInput,
    incident_label,
)
from activities.vendor_errors import REFUSED, atlassian_failure
from fireline.integrations import JiraConfig
from fireline.models import IncidentLink

T = TypeVar("T")
SUMMARY_MAX = 255
NOT_CONFIGURED = "Jira is not configured"
PRIVATE_LEFT_OUT = "private incidents get no issue in the shared project (JIRA_PRIVATE_PROJECT)"


class JiraActivities:
    def __init__(self, client: Jira | None, config: JiraConfig | None) -> None:
        self._client = client
        self._config = config

    async def _call(self, what: str, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return await asyncio.to_thread(call, *args, **kwargs)
        except (requests.RequestException, ApiError) as err:
            atlassian_failure(err, "Jira", what)

    def _ready(self) -> tuple[Jira, JiraConfig]:
        if self._client is None or self._config is None:
            raise ApplicationError(NOT_CONFIGURED, type=REFUSED, non_retryable=True)
        return self._client, self._config

    def _url(self, key: str) -> str:
        _, config = self._ready()
        return f"{config.url}/browse/{key}"

    async def _find(self, project: str, label: str) -> str | None:
        client, _ = self._ready()
        jql = f'project = "{project}" AND labels = "{label}" ORDER BY created ASC'
        what = f"JIRA_PROJECT {project} and that the JIRA_USERNAME user can browse it"
        found = await self._call(what, client.jql, jql, fields="summary", limit=1)
        issues = (found or {}).get("issues") or []
        return str(issues[0]["key"]) if issues else None

    async def _create(self, project: str, summary: str, description: str, label: str) -> str:
        client, config = self._ready()
        fields = {
            "project": {"key": project},
            "summary": summary[:SUMMARY_MAX],
            "issuetype": {"name": config.issue_type},
            "description": description,
            "labels": ["fireline", label],
        }
        what = f"JIRA_PROJECT {project} and JIRA_ISSUE_TYPE {config.issue_type}"
        created = await self._call(what, client.issue_create, fields)
        return str(created["key"])

    @activity.defn(name="ensure_jira_issue")
    async def ensure_issue(self, input: EnsureIssueInput) -> EnsureResult:
        """The incident's issue: found by its label, else created (summary `INC-<n>: <title>`,
        the channel and Temporal links, labels `fireline` and the incident's)."""
        if self._config is None:
            return EnsureResult(skipped=NOT_CONFIGURED)
        project = self._config.private_project if input.private else self._config.project
        if project is None:
            return EnsureResult(skipped=PRIVATE_LEFT_OUT)
        label = incident_label(input.incident_id)
        summary = f"INC-{input.number}: {input.title}"
        key = await self._find(project, label)
        if key is None:
            description = (
                f"Incident INC-{input.number} ({input.severity}), run from Slack by Fireline.\n"
                f"Channel: {input.channel_url}\nTemporal: {input.workflow_url}"
            )
            key = await self._create(project, summary, description, label)
        return EnsureResult(
            ref=IncidentLink(kind="jira_issue", external_id=key, url=self._url(key))
        )

    @activity.defn(name="comment_jira_issue")
    async def comment(self, input: CommentIssueInput) -> None:
        """A comment on the issue, once: a retry first looks for the comment's marker."""
        client, _ = self._ready()
        marker = f"[fireline {input.marker}]"
        if activity.info().attempt > 1:
            listed = await self._call("the issue", client.issue_get_comments, input.key)
            comments = (listed or {}).get("comments") or []
            if any(marker in str(comment.get("body", "")) for comment in comments):
                return
        await self._call(
            "the issue", client.issue_add_comment, input.key, f"{input.text}\n{marker}"
        )

    @activity.defn(name="close_jira_issue")
    async def close(self, input: CloseIssueInput) -> None:
        """Take JIRA_DONE_TRANSITION; an issue already there is done."""
        client, config = self._ready()
        target = config.done_transition.lower()
        transitions = await self._call("the issue", client.get_issue_transitions, input.key)
        chosen = next((t for t in transitions if str(t["name"]).lower() == target), None)
        if chosen is None:
            issue = await self._call("the issue", client.get_issue, input.key, fields="status")
            status = str(((issue or {}).get("fields") or {}).get("status", {}).get("name", ""))
            if status.lower() == target:
                return
            raise ApplicationError(
                f"Jira offers no transition {config.done_transition!r} for {input.key} "
                f"(it is {status or 'in an unknown status'}): set JIRA_DONE_TRANSITION",
                type=REFUSED,
                non_retryable=True,
            )
        url = f"{client.resource_url('issue')}/{input.key}/transitions"
        await self._call("the issue", client.post, url, data={"transition": {"id": chosen["id"]}})

    @activity.defn(name="create_jira_followup")
    async def create_followup(self, input: FollowupInput) -> IncidentLink:
        """A follow-up issue in the parent's project, linked to it ("relates to"), each once."""
        client, _ = self._ready()
        project = input.parent_key.rsplit("-", 1)[0]
        label = incident_label(f"{input.incident_id}-{input.marker}")
        key = await self._find(project, label)
        if key is None:
            description = f"Follow-up of INC-{input.number} ({input.parent_key})."
            key = await self._create(project, input.text, description, label)
        issue = await self._call(
            "the issue", client.get_issue, input.parent_key, fields="issuelinks"
        )
        links = ((issue or {}).get("fields") or {}).get("issuelinks") or []
        linked = {
            str((link.get("outwardIssue") or link.get("inwardIssue") or {}).get("key"))
            for link in links
        }
        if key not in linked:
            link = {
                "type": {"name": "Relates"},
                "inwardIssue": {"key": input.parent_key},
                "outwardIssue": {"key": key},
            }
            await self._call("the issue link type Relates", client.create_issue_link, link)
        return IncidentLink(
            kind="jira_followup", external_id=key, url=self._url(key), title=input.text
        )
