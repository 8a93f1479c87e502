"""A reminder that fell due while the worker was SIGKILLed is posted once, when a worker returns."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from fireline.models import ReminderKind
from tests.e2e.test_outages import worker_process
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.stack import COMMANDER, fireline_stack
from workflows.incident import IncidentWorkflow

# Update reminders a minute after declaration, then not again within the test.
POLICY = """
default = "SEV2"

[[levels]]
name = "SEV2"
label = "major"
reminder_first_minutes = 1
reminder_every_minutes = 60
"""


def reminders(slack: FakeSlack, channel: str) -> list[dict[str, Any]]:
    """Fireline's reminders in the channel, told by the step in their metadata."""
    return [
        message
        for message in slack.messages(channel)
        if str((message.get("metadata") or {}).get("event_payload", {}).get("step", "")).startswith(
            "reminder:"
        )
    ]


async def test_a_reminder_due_while_the_worker_was_killed_is_posted_once(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY)
    async with fireline_stack(
        slack, dev_server.client, database_url, run_worker=False, severity_policy_file=policy
    ) as stack:
        worker = worker_process(stack)
        try:
            workflow_id = await stack.declare(commander=COMMANDER)
            incident = await stack.declared(workflow_id, timeout=60)
            due = incident.reminders[ReminderKind.UPDATE]
            worker.send_signal(signal.SIGKILL)
            assert worker.wait(timeout=10) == -signal.SIGKILL

            # The worker stays down until the reminder's time has passed; nothing polls for it.
            down = due - datetime.now(UTC) + timedelta(seconds=2)
            await asyncio.sleep(down.total_seconds())
            assert incident.channel is not None
            channel = incident.channel.id
            assert reminders(slack, channel) == []

            worker = worker_process(stack)
            (posted,) = await eventually(lambda: reminders(slack, channel), timeout=60)

            # The next one is due an hour after the one that was missed: it was taken as done.
            async def moved_on() -> bool:
                now = await stack.handle(workflow_id).query(IncidentWorkflow.get_incident)
                return now.reminders[ReminderKind.UPDATE] == due + timedelta(minutes=60)

            await eventually(moved_on)
        finally:
            worker.kill()
            worker.wait()

    assert reminders(slack, channel) == [posted]
    assert stack.tagged(channel, incident.incident_id, "reminder:1:0") == [posted]
    assert "time for a status update" in str(posted["blocks"])
