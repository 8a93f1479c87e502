"""The Temporal worker: wires clients to activities and registers the workflows. Nothing else."""

from __future__ import annotations

import asyncio
import signal

from slack_sdk.web.async_client import AsyncWebClient
from temporalio.client import Client
from temporalio.worker import Worker

from activities.numbering import NumberingActivities
from activities.records import RecordActivities
from activities.slack import SlackActivities
from fireline.settings import Settings
from fireline.temporal import connect
from workflows.counter import IncidentCounterWorkflow
from workflows.incident import IncidentWorkflow


def slack_activity_client(settings: Settings) -> AsyncWebClient:
    # No retry handlers: a re-sent POST double-posts; Temporal retries the idempotent activity.
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(
        token=token, base_url=settings.slack_api_base, timeout=8, retry_handlers=[]
    )


def build_worker(client: Client, settings: Settings) -> Worker:
    slack = SlackActivities(slack_activity_client(settings))
    numbering = NumberingActivities(client, settings.temporal_task_queue)
    records = RecordActivities(settings.require_database_url())
    return Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=[IncidentWorkflow, IncidentCounterWorkflow],
        activities=[
            numbering.allocate_incident_number,
            slack.create_incident_channel,
            slack.set_channel_topic,
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
    async with build_worker(client, settings):
        await stop.wait()
