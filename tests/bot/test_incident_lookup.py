"""Which incident a channel belongs to (its workflow id and number), against the dev server's
visibility: asked once per incident channel, asked every time for any other channel."""

from __future__ import annotations

import uuid
from typing import Any

from temporalio.client import (
    Client,
    Interceptor,
    ListWorkflowsInput,
    OutboundInterceptor,
    WorkflowExecutionAsyncIterator,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment

from bot.incident_lookup import IncidentLookup, IncidentRef
from fireline.search_attributes import INCIDENT_CHANNEL, INCIDENT_NUMBER
from tests.helpers import eventually


class CountedLists(Interceptor):
    """Counts the visibility queries the client sends."""

    def __init__(self) -> None:
        self.sent = 0

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        counter = self

        class Counting(OutboundInterceptor):
            def list_workflows(self, input: ListWorkflowsInput) -> WorkflowExecutionAsyncIterator:
                counter.sent += 1
                return super().list_workflows(input)

        return Counting(next)


async def test_an_incident_channel_is_looked_up_once(dev_server: WorkflowEnvironment) -> None:
    lists = CountedLists()
    config: dict[str, Any] = {**dev_server.client.config(), "interceptors": [lists]}
    client = Client(**config)
    channel = f"C{uuid.uuid4().hex[:10].upper()}"
    # Not run by any worker: visibility knows it from its start, which is all a lookup reads.
    handle = await client.start_workflow(
        "IncidentWorkflow",
        id=f"incident-{uuid.uuid4()}",
        task_queue=f"nobody-{uuid.uuid4().hex[:8]}",
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(INCIDENT_CHANNEL, channel),
                SearchAttributePair(INCIDENT_NUMBER, 12),
            ]
        ),
    )
    lookup = IncidentLookup(client)
    try:
        found = await eventually(lambda: lookup.by_channel(channel))
        assert found == IncidentRef(handle.id, 12) and found.reference == "INC-12"
        asked = lists.sent
        assert await lookup.by_channel(channel) == found
        assert await lookup.by_channel(channel) == found
        assert lists.sent == asked

        other = f"C{uuid.uuid4().hex[:10].upper()}"
        assert await lookup.by_channel(other) is None
        assert await lookup.by_channel(other) is None
        assert lists.sent == asked + 2
    finally:
        await handle.terminate()
