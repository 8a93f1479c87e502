"""The Temporal worker: wires clients to activities and registers the workflows. Nothing else."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

import aiohttp
from psycopg_pool import AsyncConnectionPool
from slack_sdk.web.async_client import AsyncWebClient
from temporalio.client import Client
from temporalio.worker import Worker

from activities.records import RecordActivities
from activities.slack import SlackActivities
from fireline.db.pool import connection_pool
from fireline.settings import Settings
from fireline.temporal import connect
from workflows.counter import IncidentCounterWorkflow
from workflows.incident import IncidentWorkflow

log = logging.getLogger(__name__)


def slack_activity_client(settings: Settings, session: aiohttp.ClientSession) -> AsyncWebClient:
    # No retry handlers: a re-sent POST double-posts; Temporal retries the idempotent activity.
    # One session for every call, so connections (and TLS) are reused.
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(
        token=token,
        base_url=settings.slack_api_base,
        timeout=8,
        session=session,
        retry_handlers=[],
    )


def build_worker(
    client: Client,
    settings: Settings,
    *,
    http: aiohttp.ClientSession,
    db: AsyncConnectionPool[Any],
) -> Worker:
    slack = SlackActivities(slack_activity_client(settings, http))
    records = RecordActivities(db)
    return Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=[IncidentWorkflow, IncidentCounterWorkflow],
        activities=[
            slack.create_incident_channel,
            slack.describe_channel,
            slack.upsert_message,
            slack.add_bookmark,
            slack.invite_members,
            records.record_incident,
        ],
    )


async def run_worker(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, then finish in-flight tasks and stop."""
    client = await connect(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with (
        aiohttp.ClientSession() as http,
        connection_pool(settings.require_database_url()) as db,
        build_worker(client, settings, http=http, db=db),
    ):
        await stop.wait()
    log.info("Worker stopped")
