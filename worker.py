"""The Temporal worker: wires clients to activities and registers the workflows. Nothing else."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from notion_client import AsyncClient
from psycopg_pool import AsyncConnectionPool
from slack_sdk.web.async_client import AsyncWebClient
from temporalio.client import Client
from temporalio.worker import Worker

from activities.clients import confluence_client, jira_client, notion_client
from activities.confluence_doc import ConfluenceDocs
from activities.deadline import AttemptDeadlineInterceptor
from activities.jira import JiraActivities
from activities.notion_doc import NotionDocs
from activities.numbers import NumberActivities
from activities.pagerduty import PagerDutyActivities
from activities.postmortem_doc import DocBackend, PostmortemDocActivities
from activities.records import RecordActivities
from activities.slack import SlackActivities
from activities.slack_transcript import SlackTranscriptActivities
from fireline.db.pool import connection_pool
from fireline.integrations import Integrations, integrations
from fireline.pagerduty import events_client, rest_client
from fireline.settings import Settings
from fireline.telemetry.health import Health, pollers_check
from fireline.telemetry.incident_activities import IncidentInterceptor
from fireline.telemetry.open_incidents import keep_counting, levels_to_count
from fireline.telemetry.server import metrics_app, serving
from fireline.telemetry.setup import Telemetry
from fireline.telemetry.slack_api import ObservedWebClient
from fireline.temporal import connect
from fireline.workflow_runner import WorkflowRunner
from workflows.counter import IncidentCounterWorkflow
from workflows.incident import IncidentWorkflow

log = logging.getLogger(__name__)

# Every activity a workflow task schedules goes to this worker with the task's completion (eager
# execution) instead of through the task queue. At the SDK's default of 3, most of the steps the
# declaration runs after the summary (eight with a source message and a commander) took a queue
# round trip each: in bench.declare, a sixth of the Temporal server's CPU.
# tests/e2e/test_eager_activities.py keeps this above the widest workflow task.
EAGER_ACTIVITIES_PER_WORKFLOW_TASK = 16

# Within `fireline dev`'s 15 s (and a container runtime's usual 10 s grace) after SIGINT or SIGTERM.
SHUTDOWN_TIMEOUT_SECONDS = 8

# Each outside HTTP call gives up well inside its activity's start-to-close timeout (10 s).
HTTP_CALL_TIMEOUT = aiohttp.ClientTimeout(total=8)


def http_session() -> aiohttp.ClientSession:
    """The worker's one HTTP session: connections (and TLS) are reused, and every request through
    it has a real timeout (a client given `session=` ignores its own `timeout`)."""
    return aiohttp.ClientSession(timeout=HTTP_CALL_TIMEOUT)


def slack_activity_client(settings: Settings, session: aiohttp.ClientSession) -> AsyncWebClient:
    # No retry handlers: a re-sent POST double-posts; Temporal retries the idempotent activity.
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return ObservedWebClient(
        token=token, base_url=settings.slack_api_base, session=session, retry_handlers=[]
    )


def tracking_activities(
    found: Integrations, notion: AsyncClient | None
) -> tuple[JiraActivities, PostmortemDocActivities]:
    """The Jira and postmortem doc activities, registered whether or not they are configured:
    unconfigured, they answer that they are not."""
    jira = JiraActivities(jira_client(found.jira) if found.jira else None, found.jira)
    backend: DocBackend | None = None
    if found.notion is not None and notion is not None:
        backend = NotionDocs(notion, found.notion.database_id)
    elif found.confluence is not None:
        backend = ConfluenceDocs(confluence_client(found.confluence), found.confluence)
    return jira, PostmortemDocActivities(backend)


def build_worker(
    client: Client,
    settings: Settings,
    *,
    http: aiohttp.ClientSession,
    db: AsyncConnectionPool[Any],
    notion: AsyncClient | None = None,
) -> Worker:
    slack_client = slack_activity_client(settings, http)
    slack = SlackActivities(slack_client)
    transcripts = SlackTranscriptActivities(slack_client)
    jira, docs = tracking_activities(integrations(settings), notion)
    records = RecordActivities(db)
    numbers = NumberActivities(client, settings.temporal_task_queue)
    pagerduty = PagerDutyActivities(
        events_client(settings), rest_client(settings), settings.pagerduty_escalation_policy_ids
    )
    return Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=[IncidentWorkflow, IncidentCounterWorkflow],
        workflow_runner=WorkflowRunner(),
        interceptors=[AttemptDeadlineInterceptor(), IncidentInterceptor()],
        max_eager_activity_reservations_per_workflow_task=EAGER_ACTIVITIES_PER_WORKFLOW_TASK,
        activities=[
            slack.create_incident_channel,
            slack.create_status_channel,
            slack.rename_incident_channel,
            slack.describe_channel,
            slack.upsert_message,
            slack.pin_message,
            slack.tell_user,
            slack.archive_channel,
            slack.add_bookmark,
            slack.invite_members,
            slack.find_users_by_email,
            pagerduty.send_page,
            pagerduty.find_oncall,
            records.record_changes,
            records.record_incident,
            records.highest_incident_number,
            numbers.renumber_incident,
            jira.ensure_issue,
            jira.comment,
            jira.close,
            jira.create_followup,
            docs.ensure_doc,
            docs.update_header,
            docs.write_section,
            transcripts.channel_transcript,
            transcripts.user_names,
        ],
    )


@contextlib.asynccontextmanager
async def _closing(notion: AsyncClient | None) -> AsyncIterator[None]:
    try:
        yield
    finally:
        if notion is not None:
            await notion.aclose()


async def run_worker(settings: Settings, telemetry: Telemetry) -> None:
    """Run until SIGINT or SIGTERM, then finish in-flight tasks and stop; `/metrics` and
    `/healthz` on METRICS_PORT meanwhile."""
    found = integrations(settings)  # a half-set integration stops the worker before it starts
    client = await connect(settings, telemetry=telemetry)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    notion = notion_client(found.notion) if found.notion else None
    async with (
        http_session() as http,
        connection_pool(settings.require_database_url()) as db,
        _closing(notion),
    ):
        worker = build_worker(client, settings, http=http, db=db, notion=notion)
        running = asyncio.create_task(worker.run())
        health = Health(
            [pollers_check(client, settings.temporal_task_queue, lambda: not running.done())]
        )
        async with serving(metrics_app(telemetry, health), settings.metrics_port, "METRICS_PORT"):
            levels = levels_to_count(settings.severity_policy_file)
            counting = asyncio.create_task(
                keep_counting(client, settings.temporal_task_queue, levels)
            )
            try:
                await _until_stopped(worker, running, stop)
            finally:
                counting.cancel()
    log.info("Worker stopped")


async def _until_stopped(worker: Worker, running: asyncio.Task[None], stop: asyncio.Event) -> None:
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if running.done():
        running.result()  # the worker failed: say why
        return
    try:
        # Stopped in its first moments, the SDK's shutdown can wait on a poll for as long as
        # the server holds it; the work is Temporal's to retry, so the process goes anyway.
        async with asyncio.timeout(SHUTDOWN_TIMEOUT_SECONDS):
            await worker.shutdown()
    except TimeoutError:
        log.warning("worker shutdown unfinished after %s s; stopping", SHUTDOWN_TIMEOUT_SECONDS)
    running.cancel()
