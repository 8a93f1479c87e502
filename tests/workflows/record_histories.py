"""Record the workflow histories that test_replay replays.

    uv run python -m tests.workflows.record_histories

Re-record only when a deliberate change retires the old histories, never to make a failing replay
pass: a replay failure means running incidents would break (use `workflow.patched` instead).
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.pagerduty_types import OnCallPerson
from fireline import signals
from fireline.cli import _run
from fireline.models import AllocateNumbersInput, CounterState
from tests.fakes.jira import FakeJira
from tests.fakes.notion import FakeNotion
from tests.fixtures.temporal import add_search_attributes
from tests.helpers import eventually
from tests.workflows.test_continue_as_new import runs
from tests.workflows.test_incident_workflow import FakeActivities, declare_input
from tests.workflows.test_numbering import RecordFloor
from tests.workflows.tracking_bed import incident_when, running, tracked
from workflows.counter import IncidentCounterWorkflow
from workflows.incident import IncidentWorkflow

HISTORIES = Path(__file__).with_name("histories")
QUEUE = "record-histories"


async def save(handle: WorkflowHandle[Any, Any], name: str) -> None:
    """Write the history, unless one by that name exists: it stands for the code that made it,
    and replaying it proves incidents from then still run. `--force` writes over it."""
    if kept(name):
        return
    write(await handle.fetch_history(), name)


def kept(name: str) -> bool:
    path = HISTORIES / f"{name}.json"
    if path.exists() and "--force" not in sys.argv:
        print(f"kept {path.name} (recorded by earlier code; --force to overwrite)")
        return True
    return False


def write(history: WorkflowHistory, name: str) -> None:
    path = HISTORIES / f"{name}.json"
    path.write_text(json.dumps(json.loads(history.to_json()), indent=1))


async def record_incident(
    env: WorkflowEnvironment, fakes: FakeActivities, name: str, *, recorded: bool = False
) -> None:
    """Declare an incident and save its history once declared (and `recorded`, if asked)."""
    input = declare_input()
    workflows = [IncidentWorkflow]
    async with Worker(env.client, task_queue=QUEUE, workflows=workflows, activities=fakes.all()):
        handle = await env.client.start_workflow(
            IncidentWorkflow.run, input, id=input.incident_id, task_queue=QUEUE
        )
        await env.sleep(timedelta(minutes=20))  # the channel retry timer, the bookmark's budget

        async def declared() -> bool:
            incident = await handle.query(IncidentWorkflow.get_incident)
            return incident.declaration_complete and (bool(fakes.records) or not recorded)

        await eventually(declared)
        await save(handle, name)
        await handle.terminate()


async def record_lifecycle(env: WorkflowEnvironment) -> None:
    """An incident run through every kind of change, redeliveries and refusals included, until
    it is closed: the history replays the signal handlers and the changes they queue."""
    fakes = FakeActivities()
    input = declare_input()
    sent = [
        (signals.CHANGE_STATUS, signals.ChangeStatusInput(status="identified", by="UA")),
        (signals.ASSIGN_ROLE, signals.AssignRoleInput(role="comms", user="UC", by="UA")),
        (signals.CHANGE_SEVERITY, signals.ChangeSeverityInput(severity="SEV1", by="UA")),
        (signals.ADD_NOTE, signals.AddNoteInput(text="rolled back", by="UB", request_id="V1")),
        (signals.ADD_NOTE, signals.AddNoteInput(text="rolled back", by="UB", request_id="V1")),
        (signals.POST_UPDATE, signals.PostUpdateInput(text="fixed", status="resolved", by="UA")),
        (signals.CHANGE_STATUS, signals.ChangeStatusInput(status="mitigated", by="UA")),
        (signals.CHANGE_STATUS, signals.ChangeStatusInput(status="investigating", by="UA")),
        (signals.CHANGE_STATUS, signals.ChangeStatusInput(status="closed", by="UA")),
    ]
    async with Worker(
        env.client, task_queue=QUEUE, workflows=[IncidentWorkflow], activities=fakes.all()
    ):
        handle = await env.client.start_workflow(
            IncidentWorkflow.run, input, id=input.incident_id, task_queue=QUEUE
        )
        for name, change in sent:
            await handle.signal(name, change)
        await handle.result()
        await save(handle, "incident_closed_patches_folded")


async def record_summary_in_task(env: WorkflowEnvironment) -> None:
    """Changes whose summary updates ran in the workflow task (local activities): the first
    one's attempt hung, so that update was queued as an activity instead."""
    fakes = FakeActivities(summary_in_task_hangs=1)
    input = declare_input()
    async with Worker(
        env.client, task_queue=QUEUE, workflows=[IncidentWorkflow], activities=fakes.all()
    ):
        handle = await env.client.start_workflow(
            IncidentWorkflow.run, input, id=input.incident_id, task_queue=QUEUE
        )
        for status in ("identified", "mitigated", "resolved"):
            await handle.signal(
                signals.CHANGE_STATUS, signals.ChangeStatusInput(status=status, by="UA")
            )
            shown = f"*Status*\\n{status}"
            await eventually(
                lambda shown=shown: any(
                    m.step == "summary" and shown in str(m.blocks) for m in fakes.messages
                )
            )
        await handle.signal(
            signals.CHANGE_STATUS, signals.ChangeStatusInput(status="closed", by="UA")
        )
        await handle.result()
        await save(handle, "incident_summary_in_task")


async def record_reminders(env: WorkflowEnvironment) -> None:
    """An incident through update reminders, an update, a snooze, a refused snooze, a promotion
    (its unclaimed-role nudge), resolve (the postmortem reminder) and close: the reminders'
    timers, and timers cancelled when a change moved the due time."""
    fakes = FakeActivities()
    input = declare_input()
    async with Worker(
        env.client, task_queue=QUEUE, workflows=[IncidentWorkflow], activities=fakes.all()
    ):
        handle = await env.client.start_workflow(
            IncidentWorkflow.run, input, id=input.incident_id, task_queue=QUEUE
        )
        steps: list[tuple[int, str, signals.Change]] = [
            (31, signals.POST_UPDATE, signals.PostUpdateInput(text="rolling back", by="UA")),
            (10, signals.SNOOZE_REMINDER, signals.SnoozeReminderInput(minutes=90, by="UA")),
            (1, signals.SNOOZE_REMINDER, signals.SnoozeReminderInput(minutes=0, by="UA")),
            (1, signals.CHANGE_SEVERITY, signals.ChangeSeverityInput(severity="SEV1", by="UA")),
            (11, signals.CHANGE_STATUS, signals.ChangeStatusInput(status="resolved", by="UA")),
            (
                60 * 24 * 6,
                signals.CHANGE_STATUS,
                signals.ChangeStatusInput(status="closed", by="UA"),
            ),
        ]
        for minutes, name, change in steps:
            await env.sleep(timedelta(minutes=minutes))
            await handle.signal(name, change)
        await handle.result()
        await save(handle, "incident_reminded")


async def record_paging(env: WorkflowEnvironment) -> None:
    """A SEV3 incident paged with /incident page (who is on call invited, one not found in
    Slack), promoted to SEV1 (its status channel), updated, resolved (the alert resolved),
    reopened (a new alert) and closed with both channels archived."""
    fakes = FakeActivities(
        paging_on=True,
        oncall=[
            OnCallPerson(pagerduty_id="PA", name="Ada", email="ada@example.com"),
            OnCallPerson(pagerduty_id="PC", name="Cy", email="cy@elsewhere.example"),
        ],
        slack_emails={"ada@example.com": "UADA"},
    )
    input = declare_input()
    assert input.policy is not None
    level = input.policy.level("SEV3")
    assert level is not None
    input.severity, input.declaration.severity = level, "SEV3"
    input.policy.archive_on_close = True
    sent = [
        (signals.PAGE_ONCALL, signals.PageOncallInput(by="UA")),
        (signals.CHANGE_SEVERITY, signals.ChangeSeverityInput(severity="SEV1", by="UA")),
        (signals.POST_UPDATE, signals.PostUpdateInput(text="rolling back", by="UA")),
        (signals.CHANGE_STATUS, signals.ChangeStatusInput(status="resolved", by="UA")),
        (signals.CHANGE_STATUS, signals.ChangeStatusInput(status="identified", by="UB")),
        (signals.CHANGE_STATUS, signals.ChangeStatusInput(status="closed", by="UA")),
    ]
    async with Worker(
        env.client, task_queue=QUEUE, workflows=[IncidentWorkflow], activities=fakes.all()
    ):
        handle = await env.client.start_workflow(
            IncidentWorkflow.run, input, id=input.incident_id, task_queue=QUEUE
        )
        for name, change in sent:
            await handle.signal(name, change)
        await handle.result()
        await save(handle, "incident_paged_patches_folded")


async def record_continued(env: WorkflowEnvironment) -> None:
    """An incident that continues as new: its first run declares, posts an update reminder on its
    timer, applies notes sent around the switch and continues as new; the next run, started from
    the carried state, posts the next reminder and is closed. Both runs' histories are saved."""
    fakes = FakeActivities()
    input = declare_input()
    input.events_per_run = 100
    async with Worker(
        env.client, task_queue=QUEUE, workflows=[IncidentWorkflow], activities=fakes.all()
    ):
        handle = await env.client.start_workflow(
            IncidentWorkflow.run, input, id=input.incident_id, task_queue=QUEUE
        )
        await env.sleep(timedelta(minutes=31))
        await eventually(lambda: any(m.step.startswith("reminder:") for m in fakes.messages))
        for n in range(4):
            note = signals.AddNoteInput(text=f"note {n}", by="UA", request_id=f"N{n}")
            await handle.signal(signals.ADD_NOTE, note)
        await eventually(lambda: len(fakes.events) == 4)
        await env.sleep(timedelta(minutes=25))
        await handle.signal(
            signals.CHANGE_STATUS, signals.ChangeStatusInput(status="closed", by="UA")
        )
        await handle.result()
        first, second, *_ = await runs(env.client, handle.id, handle.first_execution_run_id or "")
        for history, name in ((first, "incident_continued_as_new"), (second, "incident_continued")):
            if not kept(name):
                write(history, name)


async def record_tracking(env: WorkflowEnvironment) -> None:
    """A SEV1 incident with a postmortem doc in Notion and a Jira issue (the real activities
    against the fakes): both made, bookmarked and linked; a status change comments on the issue
    (naming who made it) and updates the doc's header; resolve fills the doc's timeline; close
    comments and takes the done transition."""
    fakes = FakeActivities()
    sent = [
        (signals.CHANGE_STATUS, signals.ChangeStatusInput(status="identified", by="UB")),
        (signals.CHANGE_STATUS, signals.ChangeStatusInput(status="resolved", by="UCMD")),
        (signals.CHANGE_STATUS, signals.ChangeStatusInput(status="closed", by="UB")),
    ]
    with FakeJira() as jira, FakeNotion() as notion:
        jira.add_project("FIRE")
        async with running(env, fakes, jira, notion, tracked("SEV1")) as handle:
            await incident_when(handle, lambda incident: len(incident.links) == 2)
            for name, change in sent:
                await handle.signal(name, change)
            await handle.result()
            await save(handle, "incident_tracked_patches_folded")


async def record_counter(client: Client) -> None:
    """Allocations (one after a collision) that read the record's highest number, then
    continue-as-new. counter_continued_as_new.json predates reading the record: kept, not
    re-recorded."""
    floor = RecordFloor()
    floor.highest = 41
    async with Worker(
        client, task_queue=QUEUE, workflows=[IncidentCounterWorkflow], activities=[floor.activity()]
    ):
        handle = await client.start_workflow(
            IncidentCounterWorkflow.run,
            CounterState(updates_per_run=3),
            id="incident-counter",
            task_queue=QUEUE,
        )
        for input in (
            AllocateNumbersInput(keys=["incident-a"]),
            AllocateNumbersInput(keys=["incident-b", "incident-c"]),
            AllocateNumbersInput(keys=["incident-a/after-42"], taken=42),
        ):
            await handle.execute_update(IncidentCounterWorkflow.allocate, input)
        first_run = client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id)

        async def continued() -> bool:
            status = (await first_run.describe()).status
            return status == WorkflowExecutionStatus.CONTINUED_AS_NEW

        await eventually(continued)
        await save(first_run, "counter_reads_record_floor")


async def main() -> None:
    server = Path(sys.executable).with_name("temporal-test-server")
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(server), data_converter=pydantic_data_converter
    )
    try:
        await add_search_attributes(env)
        # incident_run_until_closed.json, incident_paged.json and incident_tracked.json were
        # recorded before an incident's patches were folded into one marker
        # (patches.INCIDENT_PATCHES_2026_11); they stay as the proof that such incidents replay.
        problems = FakeActivities(channel_refusals=1, bookmark_fails=True)
        # incident_declared_with_problems.json was recorded before the declaration steps ran
        # side by side; it stays as the proof that such incidents still replay.
        await record_incident(env, problems, "incident_declared_side_by_side")
        taken = FakeActivities(taken_numbers=frozenset({42}))
        await record_incident(env, taken, "incident_renumbered", recorded=True)
        await record_lifecycle(env)
        await record_summary_in_task(env)
        await record_reminders(env)
        await record_paging(env)
        await record_continued(env)
        # incident_tracked_before_names.json was recorded the same way before Jira comments named
        # people (patches.JIRA_COMMENT_NAMES); it stays as the proof that such incidents replay.
        await record_tracking(env)
        await record_counter(env.client)
    finally:
        await env.shutdown()


if __name__ == "__main__":
    # Out through the CLI's exit: no interpreter teardown under the SDK's threads (see _exit).
    _run(lambda: asyncio.run(main()))
