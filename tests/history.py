"""Reading an incident's workflow history as an operator does in the Temporal UI."""

from __future__ import annotations

import json

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter

# The marker a local activity leaves in the history, and the one `workflow.patched` leaves.
LOCAL_ACTIVITY_MARKER = "core_local_activity"
PATCH_MARKER = "core_patch"
# The search attribute each patch marker recorded live also sets: every patch the run has.
CHANGE_VERSION = "TemporalChangeVersion"
SCHEDULED = {
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    EventType.EVENT_TYPE_TIMER_STARTED,
}


def ran_locally(event: HistoryEvent) -> bool:
    """Whether the event records a local activity."""
    return event.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER


async def step_summaries(history: WorkflowHistory, converter: DataConverter) -> list[str]:
    """The summary of every activity scheduled, local activity run and timer started, in order;
    each has one."""
    summaries = []
    for event in history.events:
        if event.event_type in SCHEDULED or ran_locally(event):
            assert event.user_metadata.HasField("summary"), event
            (summary,) = await converter.decode([event.user_metadata.summary], [str])
            summaries.append(str(summary))
    return summaries


def patch_ids(history: WorkflowHistory) -> list[str]:
    """The patches the history records, in order."""
    return [
        json.loads(marker.details["patch-data"].payloads[0].data)["id"]
        for marker in (event.marker_recorded_event_attributes for event in history.events)
        if marker.marker_name == PATCH_MARKER
    ]


def change_version_upserts(history: WorkflowHistory) -> int:
    """How many times the run set TemporalChangeVersion."""
    return sum(
        CHANGE_VERSION
        in event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        for event in history.events
    )
