"""Weeks-long incidents continue as new (workflows/incident/next_run.py), on the time-skipping
server: forced every few changes by a low `events_per_run`, with reminders pending and signals
sent right around each switch. The state, the reminders' due times and every signal survive,
and nothing already done is done again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from fireline import search_attributes, signals
from fireline.models import IncidentSnapshot, IncidentStatus, ReminderKind
from tests.helpers import eventually
from tests.workflows.test_changes import Handle, running
from tests.workflows.test_incident_workflow import FakeActivities, declare_input
from tests.workflows.test_reminders import posted
from workflows.incident import IncidentWorkflow

# Low enough that declaration alone ends the first run and a few changes end each one after.
EVENTS_PER_RUN = 40
NOTES = 12
CONTINUED_AS_NEW = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
SIGNALED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
QUERY_TIMEOUT = timedelta(seconds=2)


async def runs(client: Client, workflow_id: str, first_run_id: str) -> list[WorkflowHistory]:
    """The workflow's runs' histories in order, following each continue-as-new to the next."""
    chain = [await client.get_workflow_handle(workflow_id, run_id=first_run_id).fetch_history()]
    while (last := chain[-1].events[-1]).event_type == CONTINUED_AS_NEW:
        run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
        chain.append(await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history())
    return chain


async def incident_across_runs(
    handle: Handle, check: Callable[[IncidentSnapshot], bool]
) -> IncidentSnapshot:
    """As incident_when, but a query that timed out (it reached a run as it ended) is retried."""

    async def probe() -> IncidentSnapshot | None:
        try:
            incident = await handle.query(IncidentWorkflow.get_incident, rpc_timeout=QUERY_TIMEOUT)
        except RPCError:
            return None
        return incident if check(incident) else None

    return await eventually(probe)


def signalled_when_due(history: WorkflowHistory) -> int:
    """Signals that reached the run once it was due to continue as new (past EVENTS_PER_RUN)."""
    return sum(
        1
        for n, event in enumerate(history.events, start=1)
        if n > EVENTS_PER_RUN and event.event_type == SIGNALED
    )


async def test_state_reminders_and_every_signal_survive_continue_as_new(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities()
    input = declare_input()
    input.events_per_run = EVENTS_PER_RUN
    client = time_skipping.client
    async with running(time_skipping, fakes, input) as handle:
        declared = await incident_across_runs(handle, lambda i: i.declaration_complete)
        update_due = declared.reminders[ReminderKind.UPDATE]
        stale_due = declared.reminders[ReminderKind.STALE]
        await time_skipping.sleep(timedelta(minutes=10))

        # A burst sent without waiting: runs end and start while these arrive.
        sent: list[tuple[str, signals.Change]] = [
            (signals.ADD_NOTE, signals.AddNoteInput(text=f"note {n}", by="UB", request_id=f"N{n}"))
            for n in range(NOTES)
        ]
        sent.insert(
            5, (signals.CHANGE_STATUS, signals.ChangeStatusInput(status="identified", by="UB"))
        )
        sent.insert(
            9, (signals.ADD_NOTE, signals.AddNoteInput(text="note 2", by="UB", request_id="N2"))
        )
        for name, payload in sent:
            await handle.signal(name, payload)
        applied = await incident_across_runs(handle, lambda i: i.timeline_length == 1 + NOTES + 1)
        assert applied.reminders == {ReminderKind.UPDATE: update_due, ReminderKind.STALE: stale_due}

        # The update reminder comes when it was due before the switches, once.
        await time_skipping.sleep(timedelta(minutes=21))  # 31 after declaration
        await eventually(lambda: len(posted(fakes)) == 1)
        # Each sent as the one before is recorded, its last effect: as the run, idle, decides
        # to switch.
        for n in range(NOTES, 2 * NOTES):
            note = signals.AddNoteInput(text=f"note {n}", by="UB", request_id=f"N{n}")
            await handle.signal(signals.ADD_NOTE, note)
            await eventually(lambda n=n: len(fakes.events) == n + 2)
        # A redelivery of a request applied runs ago still changes nothing.
        await handle.signal(signals.ADD_NOTE, sent[0][1])
        await handle.signal(
            signals.CHANGE_STATUS, signals.ChangeStatusInput(status="mitigated", by="UB")
        )
        incident = await incident_across_runs(
            handle, lambda i: i.status is IncidentStatus.MITIGATED
        )
        await eventually(lambda: len(fakes.events) == incident.timeline_length - 1)
        chain = await runs(client, input.incident_id, handle.first_execution_run_id or "")
        described = await handle.describe()

    assert len(chain) >= 5, [len(history.events) for history in chain]
    # Signals came while runs were due to switch: applied first, none lost.
    assert sum(signalled_when_due(history) for history in chain) > 0
    texts = [event.text for event in fakes.events if event.kind == "note_added"]
    assert texts == [f"note {n}" for n in range(2 * NOTES)]  # every one, in order, once
    kinds = [event.kind for event in fakes.events]
    assert kinds.count("status_changed") == 2 and incident.timeline_length == 1 + 2 * NOTES + 2
    assert [event.key for event in fakes.events] == [
        f"event:{n}" for n in range(1, incident.timeline_length)
    ]
    # Nothing done twice: one channel, one summary posted (then updated), each message once.
    assert len(fakes.channels) == 1
    steps = Counter(message.step for message in fakes.messages if message.step != "summary")
    assert [step for step, count in steps.items() if count > 1] == []
    assert [m.ts for m in fakes.messages if m.step == "summary"].count(None) == 1
    assert fakes.scheduled["reminder:1:0"] - update_due < timedelta(seconds=2)
    assert incident.reminders[ReminderKind.STALE] == stale_due
    assert described.typed_search_attributes[search_attributes.INCIDENT_STATUS] == "mitigated"
    assert described.typed_search_attributes[search_attributes.INCIDENT_CHANNEL] == "C42"
