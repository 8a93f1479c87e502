"""Encryption and running incidents: an incident started before encryption was turned on, or under
a key since rotated, replays and goes on; failure messages reach the history sealed."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta

import pytest
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from fireline.encryption import KEY_ID, Keyring
from fireline.models import IncidentSnapshot
from fireline.temporal import encrypted_converter
from tests.fixtures.temporal import TEST_CONVERTER, TEST_ENCRYPTION_KEYS
from tests.helpers import eventually
from tests.workflows.test_incident_workflow import FakeActivities, declare_input
from workflows.incident import IncidentWorkflow

REFUSAL = b"does not let the bot create channels"
ROTATED_KEYS = f"next:{base64.b64encode(b'n' * 32).decode()},{TEST_ENCRYPTION_KEYS}"

Handle = WorkflowHandle[IncidentWorkflow, IncidentSnapshot]


def scheduled_inputs_key_ids(events: list[HistoryEvent]) -> list[bytes | None]:
    """The key id each activity's input was sealed with, in order (None: not encrypted)."""
    return [
        event.activity_task_scheduled_event_attributes.input.payloads[0].metadata.get(KEY_ID)
        for event in events
        if event.HasField("activity_task_scheduled_event_attributes")
    ]


async def timer_started(handle: Handle) -> bool:
    history = await handle.fetch_history()
    return any(event.HasField("timer_started_event_attributes") for event in history.events)


async def declared(handle: Handle) -> IncidentSnapshot | None:
    incident = await handle.query(IncidentWorkflow.get_incident)
    return incident if incident.declaration_complete else None


@pytest.mark.parametrize(
    "before", [pydantic_data_converter, TEST_CONVERTER], ids=["unencrypted", "rotated-key"]
)
async def test_an_incident_started_before_goes_on_after(
    time_skipping: WorkflowEnvironment, before: DataConverter
) -> None:
    target = time_skipping.client.service_client.config.target_host
    old = await Client.connect(target, data_converter=before)
    new = await Client.connect(
        target, data_converter=encrypted_converter(Keyring.parse(ROTATED_KEYS))
    )
    fakes = FakeActivities(channel_refusals=1)
    input = declare_input(private=True)
    queue = f"tq-{uuid.uuid4()}"

    # No cached workflows: the next worker replays the whole history from the start.
    async with Worker(
        old,
        task_queue=queue,
        workflows=[IncidentWorkflow],
        activities=fakes.all(),
        max_cached_workflows=0,
    ):
        handle = await old.start_workflow(
            IncidentWorkflow.run, input, id=input.incident_id, task_queue=queue
        )
        # The channel was refused and the incident waits on a timer to try again.
        await eventually(lambda: timer_started(handle))

    async with Worker(new, task_queue=queue, workflows=[IncidentWorkflow], activities=fakes.all()):
        await time_skipping.sleep(timedelta(minutes=20))
        handle = new.get_workflow_handle_for(IncidentWorkflow.run, input.incident_id)
        incident = await eventually(lambda: declared(handle))

    assert incident.channel is not None and incident.declaration.private
    key_ids = scheduled_inputs_key_ids((await handle.fetch_history()).events)
    written_before = None if before is pydantic_data_converter else b"test"
    assert key_ids[0] == written_before
    assert key_ids[-1] == b"next"


async def test_failure_messages_reach_the_history_sealed(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities(channel_refusals=1)
    input = declare_input()
    queue = f"tq-{uuid.uuid4()}"
    client = time_skipping.client
    async with Worker(
        client, task_queue=queue, workflows=[IncidentWorkflow], activities=fakes.all()
    ):
        handle = await client.start_workflow(
            IncidentWorkflow.run, input, id=input.incident_id, task_queue=queue
        )
        await time_skipping.sleep(timedelta(minutes=20))
        await eventually(lambda: declared(handle))
        events = (await handle.fetch_history()).events

    failed = [e for e in events if e.HasField("activity_task_failed_event_attributes")]
    assert failed
    assert all(
        e.activity_task_failed_event_attributes.failure.message == "Encoded failure" for e in failed
    )
    assert not [e for e in events if REFUSAL in e.SerializeToString()]
    # The workflow itself read the reason, and told the reporter.
    refusals = [message for message in fakes.messages if message.step == "channel_refused"]
    assert REFUSAL.decode() in str(refusals[0].blocks)
