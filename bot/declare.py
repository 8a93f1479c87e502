"""Starting an incident's workflow from a submitted declaration, durably and exactly once.

The workflow id comes from the submitted view, so a redelivered or double-clicked submission reaches
the incident it already started. While Temporal is unreachable the bot keeps trying for a bounded
time, tells the reporter once that declaring is delayed, and if it gives up replies once with
everything they typed, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from fireline.models import Declaration, DeclareIncidentInput, IncidentSnapshot
from fireline.policy import SeverityPolicy
from fireline.render.text import escape
from fireline.settings import Settings
from workflows.incident import IncidentWorkflow

log = logging.getLogger(__name__)

# Temporal answers that mean "not reachable right now", worth another try.
_UNAVAILABLE = {
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.RESOURCE_EXHAUSTED,
    RPCStatusCode.UNKNOWN,
}


def incident_workflow_id(team_id: str | None, view_id: str) -> str:
    return f"incident-{team_id or 'T'}-{view_id}"


class Declarer:
    def __init__(self, temporal: Client, settings: Settings, policy: SeverityPolicy) -> None:
        self._temporal = temporal
        self._settings = settings
        self._policy = policy

    async def declare(
        self, declaration: Declaration, workflow_id: str, slack: AsyncWebClient
    ) -> WorkflowHandle[IncidentWorkflow, IncidentSnapshot] | None:
        level = self._policy.level(declaration.severity)
        assert level is not None, "the form validated the severity"
        input = DeclareIncidentInput(
            incident_id=workflow_id,
            declaration=declaration,
            severity=level,
            always_invite=self._policy.always_invite,
            feed_channel=self._settings.slack_feed_channel,
            temporal_ui_url=str(self._settings.temporal_ui_url),
            declared_at=datetime.now(UTC),
        )
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + self._settings.declare_retry_seconds
        delay, told_delayed = 0.2, False
        while True:
            try:
                return await self._start(input)
            except WorkflowAlreadyStartedError:
                return self._temporal.get_workflow_handle(workflow_id)
            except RPCError as err:
                if err.status not in _UNAVAILABLE:
                    raise
                log.warning("starting %s failed, will retry: %s", workflow_id, err)
            now = loop.time()
            if now >= deadline:
                await self._tell(slack, declaration.reporter_id, _failed_text(declaration))
                return None
            if not told_delayed and now - started >= self._settings.declare_delay_notice_seconds:
                told_delayed = True
                await self._tell(slack, declaration.reporter_id, _delayed_text(declaration))
            await asyncio.sleep(min(delay, deadline - now))
            delay = min(delay * 2, 5.0)

    async def _start(
        self, input: DeclareIncidentInput
    ) -> WorkflowHandle[IncidentWorkflow, IncidentSnapshot]:
        declaration = input.declaration
        return await self._temporal.start_workflow(
            IncidentWorkflow.run,
            input,
            id=input.incident_id,
            task_queue=self._settings.temporal_task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=f"{declaration.severity}: {declaration.title}",
            rpc_timeout=timedelta(seconds=5),
        )

    async def _tell(self, slack: AsyncWebClient, user_id: str, text: str) -> None:
        try:
            await slack.chat_postMessage(channel=user_id, text=text)
        except SlackApiError as err:
            log.error("could not tell %s about their declaration: %s", user_id, err)


def _delayed_text(declaration: Declaration) -> str:
    return (
        f":hourglass: Declaring *{escape(declaration.title)}* is delayed: Fireline cannot reach "
        "its workflow engine right now. It keeps trying; you will get the channel link here."
    )


def _failed_text(declaration: Declaration) -> str:
    typed = [
        ("Title", declaration.title),
        ("Severity", declaration.severity),
        ("Description", declaration.description),
        ("Customer impact", declaration.impact),
        ("Commander", f"<@{declaration.commander_id}>"),
        ("Private", "yes" if declaration.private else "no"),
        ("Tags", ", ".join(declaration.tags)),
        ("Source message", declaration.source_permalink or ""),
    ]
    lines = "\n".join(
        f"*{label}:* {value if label == 'Commander' else escape(value)}"
        for label, value in typed
        if value
    )
    return (
        ":x: Fireline could not declare your incident: its workflow engine stayed unreachable. "
        "Nothing was created. Declare it again with `/incident` or open a channel by hand; "
        f"here is everything you typed:\n{lines}"
    )
