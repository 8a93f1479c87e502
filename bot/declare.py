"""Starting an incident's workflow from an acknowledged declaration, and telling the reporter
when that is delayed or impossible.

The workflow id comes from the submitted view, so a redelivered or double-clicked submission, or a
restarted bot, reaches the incident it already started. While Temporal is unreachable the bot keeps
trying until `declare_retry_seconds` after the declaration, tells the reporter once that declaring
is delayed, and if it gives up replies once with everything they typed, so nothing is lost. The
declaration waits in the outbox meanwhile (bot.outbox), so a bot restart resumes the retries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from bot.numbers import NumberAllocator
from bot.outbox.base import Lease, OutboxUnavailable, PendingDeclaration
from fireline import search_attributes
from fireline.integrations import integrations
from fireline.models import (
    Declaration,
    DeclareIncidentInput,
    IncidentStatus,
)
from fireline.pagerduty import paging_plan
from fireline.policy import SeverityPolicy
from fireline.render import operator
from fireline.render.text import escape
from fireline.settings import Settings
from fireline.telemetry import declarations
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
    def __init__(
        self, temporal: Client, settings: Settings, policy: SeverityPolicy, slack: AsyncWebClient
    ) -> None:
        self._temporal = temporal
        self._settings = settings
        self._policy = policy
        self._slack = slack
        self._numbers = NumberAllocator(temporal, settings.temporal_task_queue, RPC_TIMEOUT)

    async def declare(self, entry: PendingDeclaration, lease: Lease) -> None:
        """Start the incident, retrying while Temporal is unreachable; the reporter hears from
        this bot only while it holds the entry's lease."""
        retry_for = timedelta(seconds=self._settings.declare_retry_seconds)
        notice_after = timedelta(seconds=self._settings.declare_delay_notice_seconds)
        delay = 0.2
        while True:
            try:
                with declarations.attempt(entry.workflow_id):
                    await self._start(entry)
                declarations.declared(entry.declaration)
                break
            except WorkflowAlreadyStartedError:
                break  # a closed incident already has this id: nothing to start
            except (RPCError, RuntimeError, WorkflowUpdateRPCTimeoutOrCancelledError) as err:
                _stop_if_cancelled()
                # A lazy client that cannot connect raises RuntimeError; an RPCError may be final.
                if isinstance(err, RPCError) and err.status not in _UNAVAILABLE:
                    log.error("Temporal refused %s: %s", entry.workflow_id, err)
                    if await _held(lease.remove(entry.workflow_id)):
                        declarations.failed("refused")
                        await self._tell(entry.declaration, _failed_text(entry.declaration))
                        return
                else:
                    log.warning("starting %s failed, will retry: %s", entry.workflow_id, err)
            # The store being down does not stop the retries; only another holder does.
            if not await _held(lease.renew(entry.workflow_id), unavailable=True):
                return
            waited = datetime.now(UTC) - entry.declared_at
            if waited >= retry_for:
                # Removed first: once the reporter hears "nothing was created", nothing will be.
                if await _held(lease.remove(entry.workflow_id)):
                    declarations.failed("unreachable")
                    await self._tell(entry.declaration, _failed_text(entry.declaration))
                    return
            elif (
                not entry.delay_notified
                and waited >= notice_after
                and await _held(lease.take_delay_notice(entry.workflow_id))
            ):
                entry.delay_notified = True
                await self._tell(entry.declaration, _delayed_text(entry.declaration))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        await _held(lease.remove(entry.workflow_id))

    async def _start(self, entry: PendingDeclaration) -> None:
        """Allocate the number, then start the incident with every search attribute set, so the
        Temporal UI finds it by number from its first event."""
        declaration, workflow_id = entry.declaration, entry.workflow_id
        level = self._policy.level(declaration.severity)
        assert level is not None, "the form validated the severity"
        number = await self._numbers.allocate(workflow_id)
        declarations.numbered(number)
        input = DeclareIncidentInput(
            incident_id=workflow_id,
            number=number,
            declaration=declaration,
            severity=level,
            always_invite=self._policy.always_invite,
            feed_channel=self._settings.slack_feed_channel,
            temporal_ui_url=str(self._settings.temporal_ui_url),
            declared_at=entry.declared_at,
            policy=self._policy,
            tracking=integrations(self._settings).plan(),
            paging=paging_plan(self._settings),
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

    async def _tell(self, declaration: Declaration, text: str) -> None:
        try:
            await self._slack.chat_postMessage(channel=declaration.reporter_id, text=text)
        except SlackApiError as err:
            log.error("could not tell %s about their declaration: %s", declaration.reporter_id, err)


def _stop_if_cancelled() -> None:
    """temporalio turns the cancellation of an Update call into an error: a bot stopping while
    a number is being allocated must stop, not retry."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def _held(step: Awaitable[bool], *, unavailable: bool = False) -> bool:
    """The answer of a lease step; `unavailable` when the store cannot answer now."""
    try:
        return await step
    except OutboxUnavailable as err:
        log.warning("declaration outbox: %s", err)
        return unavailable


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
