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
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from bot.numbers import NumberAllocator
from fireline import search_attributes
from fireline.models import (
    Declaration,
    DeclareIncidentInput,
    IncidentStatus,
)
from fireline.policy import SeverityPolicy
from fireline.render import operator
from fireline.render.text import escape
from fireline.settings import Settings
from workflows.incident import IncidentWorkflow

log = logging.getLogger(__name__)
RPC_TIMEOUT = timedelta(seconds=5)

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
        self._numbers = NumberAllocator(temporal, settings.temporal_task_queue, RPC_TIMEOUT)

    async def declare(
        self, declaration: Declaration, workflow_id: str, slack: AsyncWebClient
    ) -> None:
        declared_at = datetime.now(UTC)
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + self._settings.declare_retry_seconds
        delay, told_delayed = 0.2, False
        while True:
            try:
                await self._start(declaration, workflow_id, declared_at)
                return
            except WorkflowAlreadyStartedError:
                return  # a closed incident already has this id: nothing to start
            except (RPCError, RuntimeError, WorkflowUpdateRPCTimeoutOrCancelledError) as err:
                # A lazy client that cannot connect raises RuntimeError; an RPCError may be final.
                if isinstance(err, RPCError) and err.status not in _UNAVAILABLE:
                    await self._tell(slack, declaration.reporter_id, _failed_text(declaration))
                    raise
                log.warning("starting %s failed, will retry: %s", workflow_id, err)
            now = loop.time()
            if now >= deadline:
                await self._tell(slack, declaration.reporter_id, _failed_text(declaration))
                return
            if not told_delayed and now - started >= self._settings.declare_delay_notice_seconds:
                told_delayed = True
                await self._tell(slack, declaration.reporter_id, _delayed_text(declaration))
            await asyncio.sleep(min(delay, deadline - now))
            delay = min(delay * 2, 5.0)

    async def _start(
        self, declaration: Declaration, workflow_id: str, declared_at: datetime
    ) -> None:
        """Allocate the number, then start the incident with every search attribute set, so the
        Temporal UI finds it by number from its first event."""
        level = self._policy.level(declaration.severity)
        assert level is not None, "the form validated the severity"
        number = await self._numbers.allocate(workflow_id)
        input = DeclareIncidentInput(
            incident_id=workflow_id,
            number=number,
            declaration=declaration,
            severity=level,
            always_invite=self._policy.always_invite,
            feed_channel=self._settings.slack_feed_channel,
            temporal_ui_url=str(self._settings.temporal_ui_url),
            declared_at=declared_at,
        )
        await self._temporal.start_workflow(
            IncidentWorkflow.run,
            input,
            id=workflow_id,
            task_queue=self._settings.temporal_task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=search_attributes.for_incident(
                number,
                level.name,
                IncidentStatus.INVESTIGATING.value,
                declaration.commander_id,
                declaration.private,
            ),
            static_summary=operator.workflow_summary(
                number, level.name, declaration.title, declaration.private
            ),
            rpc_timeout=RPC_TIMEOUT,
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
    """Everything the reporter typed, so a failed declaration loses nothing."""
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
        ":x: Fireline could not declare your incident: its workflow engine did not accept it. "
        "Nothing was created. Declare it again with `/incident` or open a channel by hand; "
        f"here is everything you typed:\n{lines}"
    )
