"""The worker takes every activity a workflow task schedules with that task's completion (eager
execution), not through the task queue, while it has free slots: the widest task, the
declaration's steps after the summary, fits the worker's reservations
(worker.EAGER_ACTIVITIES_PER_WORKFLOW_TASK)."""

from __future__ import annotations

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.stack import COMMANDER, LOOKER, REPORTER, fireline_stack, running_worker

# What the Python SDK reserves per workflow task unless told otherwise.
SDK_DEFAULT = 3


def widest_workflow_task(history: WorkflowHistory) -> int:
    """The most activities one workflow task scheduled."""
    counts = [0]
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            counts.append(0)
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            counts[-1] += 1
    return max(counts)


async def test_the_widest_workflow_task_is_taken_eagerly_whole(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with (
        fireline_stack(slack, dev_server.client, database_url, run_worker=False) as stack,
        running_worker(dev_server.client, stack.settings, database_url) as worker,
    ):
        # From a message (a reply under it, its bookmark), with a commander to DM, at the level
        # with the most steps.
        ts = slack.add_message(stack.feed, "checkout is down", user=LOOKER)
        await stack.slack.message_shortcut(
            "declare_incident_from_message",
            user_id=REPORTER,
            channel_id=stack.feed,
            message={"ts": ts, "text": "checkout is down", "user": LOOKER},
        )
        await eventually(lambda: slack.calls("views.update"))
        (view,) = slack.views()
        await stack.submit(view, title="Checkout errors", severity="SEV1", commander=COMMANDER)
        workflow_id = stack.workflow_id(view)
        await stack.declared(workflow_id)
        history = await stack.handle(workflow_id).fetch_history()

    reserved = worker.config()["max_eager_activity_reservations_per_workflow_task"]
    assert SDK_DEFAULT < widest_workflow_task(history) <= reserved
