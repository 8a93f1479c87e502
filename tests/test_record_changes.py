"""The record_changes activity: the incident with its status times and roles, and its timeline
events written once each, however often the activity is retried or replayed."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.records import NUMBER_TAKEN, RecordActivities
from fireline.db import record as record_module
from fireline.db.pool import connection_pool
from fireline.db.queries import fetch_incident
from fireline.devstack.localpg import LocalPostgres
from fireline.models import IncidentSnapshot, IncidentStatus, RecordInput, TimelineEvent
from tests.test_records import DECLARED_AT, POOL_TIMEOUT, count, make_snapshot, record
from tests.workflows.test_replay import HISTORIES

MINUTE = timedelta(minutes=1)


def event(n: int, kind: str = "note_added", **fields: Any) -> TimelineEvent:
    fields.setdefault("at", DECLARED_AT + n * MINUTE)
    fields.setdefault("actor_id", "U0COMMANDER")
    return TimelineEvent(key=f"event:{n}", kind=kind, **fields)


async def record_changes(
    database_url: str, incident: IncidentSnapshot, *events: TimelineEvent
) -> None:
    async with connection_pool(database_url, timeout=POOL_TIMEOUT) as pool:
        await record_changes_with(pool, incident, *events)


async def record_changes_with(
    pool: AsyncConnectionPool[Any], incident: IncidentSnapshot, *events: TimelineEvent
) -> None:
    input = RecordInput(incident=incident, events=list(events))
    await ActivityEnvironment().run(RecordActivities(pool).record_changes, input)


async def fetch(database_url: str, incident_id: str = "incident-5b0c1a") -> dict[str, Any]:
    incident = await fetch_incident(database_url, incident_id)
    assert incident is not None
    return incident


def timeline(incident: dict[str, Any]) -> list[tuple[str, str | None, str | None, str]]:
    return [
        (row["event_key"], row["old_value"], row["new_value"], row["text"])
        for row in incident["timeline"]
    ]


def status_times(incident: dict[str, Any]) -> tuple[Any, ...]:
    columns = ("identified_at", "mitigated_at", "resolved_at", "closed_at")
    return tuple(incident[column] for column in columns)


async def test_record_changes_twice_writes_one_row_per_event(database_url: str) -> None:
    incident = make_snapshot(status=IncidentStatus.IDENTIFIED, identified_at=DECLARED_AT + MINUTE)
    events = [
        event(1, "status_changed", old="investigating", new="identified", text="DNS"),
        event(2, "update_posted", text="Rolling back the resolver change"),
    ]
    await record_changes(database_url, incident, *events)
    await record_changes(database_url, incident, *events)  # a retry, or a replayed activity

    recorded = await fetch(database_url)
    assert timeline(recorded) == [
        ("declared", None, None, "INC-42 declared by <@U0REPORTER>: Checkout returns 502"),
        ("event:1", "investigating", "identified", "DNS"),
        ("event:2", None, None, "Rolling back the resolver change"),
    ]
    first = recorded["timeline"][1]
    assert (first["kind"], first["occurred_at"], first["actor_id"]) == (
        "status_changed",
        DECLARED_AT + MINUTE,
        "U0COMMANDER",
    )
    assert recorded["status"] == "identified"
    assert await count(database_url, "timeline_events") == 3
    assert await count(database_url, "incidents") == 1


async def test_events_arrive_across_several_calls(database_url: str) -> None:
    incident = make_snapshot()
    await record_changes(database_url, incident, event(1, text="first"))
    # The next call repeats an event already written: the first write stands.
    await record_changes(
        database_url, incident, event(1, text="first, edited"), event(2), event(3, text="third")
    )
    await record_changes(database_url, incident)

    recorded = await fetch(database_url)
    assert [key for key, *_ in timeline(recorded)] == ["declared", "event:1", "event:2", "event:3"]
    assert timeline(recorded)[1][3] == "first"


async def test_a_reassigned_role_replaces_its_holder(database_url: str) -> None:
    incident = make_snapshot(roles={"commander": "U0COMMANDER", "comms": "U0COMMS"})
    await record_changes(database_url, incident)
    reassigned = incident.model_copy(
        update={"roles": {"commander": "U0NEWCMDR", "comms": "U0COMMS", "tech_lead": "U0TECH"}}
    )
    await record_changes(database_url, reassigned)
    await record_changes(database_url, reassigned)

    recorded = await fetch(database_url)
    assert recorded["commander_id"] == "U0NEWCMDR"
    assert [(p["role"], p["user_id"]) for p in recorded["people"]] == [
        ("commander", "U0NEWCMDR"),
        ("comms", "U0COMMS"),
        ("reporter", "U0REPORTER"),
        ("tech_lead", "U0TECH"),
    ]


async def test_status_times_are_written_as_given_and_cleared_on_reopen(
    database_url: str,
) -> None:
    identified, mitigated, resolved = (DECLARED_AT + n * MINUTE for n in (5, 20, 60))
    incident = make_snapshot(
        status=IncidentStatus.RESOLVED,
        identified_at=identified,
        mitigated_at=mitigated,
        resolved_at=resolved,
    )
    await record_changes(database_url, incident)
    assert status_times(await fetch(database_url)) == (identified, mitigated, resolved, None)

    reopened = incident.model_copy(
        update={"status": IncidentStatus.IDENTIFIED, "mitigated_at": None, "resolved_at": None}
    )
    await record_changes(database_url, reopened)
    assert status_times(await fetch(database_url)) == (identified, None, None, None)

    # Mitigated again after the reopen: the workflow's new time is the one written.
    remitigated, closed = DECLARED_AT + 90 * MINUTE, DECLARED_AT + 120 * MINUTE
    closed_incident = reopened.model_copy(
        update={
            "status": IncidentStatus.CLOSED,
            "mitigated_at": remitigated,
            "resolved_at": closed,
            "closed_at": closed,
        }
    )
    await record_changes(database_url, closed_incident)
    await record_changes(database_url, closed_incident)
    recorded = await fetch(database_url)
    assert recorded["status"] == "closed"
    assert status_times(recorded) == (identified, remitigated, closed, closed)


async def test_a_skipped_status_has_no_time(database_url: str) -> None:
    resolved = DECLARED_AT + 10 * MINUTE
    incident = make_snapshot(status=IncidentStatus.RESOLVED, resolved_at=resolved)
    await record_changes(database_url, incident)
    assert status_times(await fetch(database_url)) == (None, None, resolved, None)


async def test_times_recorded_before_the_workflow_kept_them_are_kept(database_url: str) -> None:
    """An incident mitigated under record_incident, then recorded by record_changes: its
    snapshot has no mitigated_at (the workflow did not keep it then), the record's stands."""
    observed = DECLARED_AT + 25 * MINUTE
    mitigated = make_snapshot(status=IncidentStatus.MITIGATED)
    await record(database_url, mitigated, scheduled_time=observed)

    await record_changes(database_url, mitigated, event(1))
    assert status_times(await fetch(database_url)) == (None, observed, None, None)

    resolved_at = observed + 30 * MINUTE
    resolved = mitigated.model_copy(
        update={"status": IncidentStatus.RESOLVED, "resolved_at": resolved_at}
    )
    await record_changes(database_url, resolved)
    assert status_times(await fetch(database_url)) == (None, observed, resolved_at, None)


def recorded_snapshots(path: Path) -> list[IncidentSnapshot]:
    """What a committed history gave record_incident, in order: snapshots without status times."""
    converter = pydantic_data_converter.payload_converter
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    snapshots = []
    for history_event in history.events:
        scheduled = history_event.activity_task_scheduled_event_attributes
        if scheduled.activity_type.name == "record_incident":
            [snapshot] = converter.from_payloads(scheduled.input.payloads, [IncidentSnapshot])
            snapshots.append(snapshot)
    return snapshots


# Histories recorded while the workflow still scheduled record_incident (before RECORD_TIMELINE).
INCIDENT_HISTORIES = [
    path
    for path in HISTORIES
    if path.stem.startswith("incident_") and '"name": "record_incident"' in path.read_text()
]


@pytest.mark.parametrize("path", INCIDENT_HISTORIES, ids=[p.stem for p in INCIDENT_HISTORIES])
async def test_a_replayed_record_incident_still_works(database_url: str, path: Path) -> None:
    snapshots = recorded_snapshots(path)
    assert snapshots
    for snapshot in snapshots:
        await record(database_url, snapshot)
        await record(database_url, snapshot)
    last = snapshots[-1]
    recorded = await fetch(database_url, last.incident_id)
    assert (recorded["number"], recorded["status"]) == (last.number, last.status.value)
    assert status_times(recorded) == (None, None, None, None)
    assert {(p["role"], p["user_id"]) for p in recorded["people"]} == {
        ("reporter", last.declaration.reporter_id),
        ("commander", last.declaration.commander_id),
    }
    assert [row["event_key"] for row in recorded["timeline"]] == ["declared"]


async def test_number_taken_is_reported_by_record_changes(database_url: str) -> None:
    await record_changes(database_url, make_snapshot())
    with pytest.raises(ApplicationError) as caught:
        await record_changes(database_url, make_snapshot(incident_id="incident-other"), event(1))
    assert caught.value.non_retryable
    assert caught.value.type == NUMBER_TAKEN
    assert await count(database_url, "timeline_events") == 1


async def test_nul_in_events_and_roles_is_stored_without_it(database_url: str) -> None:
    incident = make_snapshot(roles={"comms\x00": "U0\x00COMMS"})
    typed = event(
        1, "role_assigned", actor_id="U0\x00OPS", old="\x00", new="U0\x00COMMS", text="a\x00b"
    )
    await record_changes(database_url, incident, typed)

    recorded = await fetch(database_url)
    assert timeline(recorded)[1] == ("event:1", "", "U0COMMS", "ab")
    assert recorded["timeline"][1]["actor_id"] == "U0OPS"
    assert ("comms", "U0COMMS") in [(p["role"], p["user_id"]) for p in recorded["people"]]


async def test_a_locked_incident_fails_the_attempt_within_its_timeout(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transaction holding the incident's row (a stuck writer) fails the attempt, retryably,
    instead of holding it past its start-to-close."""
    incident = make_snapshot()
    await record_changes(database_url, incident)
    monkeypatch.setattr(record_module, "STATEMENT_TIMEOUT_MS", 200)
    async with await psycopg.AsyncConnection.connect(database_url) as holder:
        await holder.execute(
            "SELECT 1 FROM incidents WHERE id = %s FOR UPDATE", ("incident-5b0c1a",)
        )
        with pytest.raises(psycopg.errors.QueryCanceled):
            async with asyncio.timeout(5):
                await record_changes(database_url, incident, event(1))
    await record_changes(database_url, incident, event(1))
    assert await count(database_url, "timeline_events") == 2


async def test_outage_then_recovery_writes_each_event_once(
    database_url: str, stoppable_postgres: LocalPostgres
) -> None:
    incident = make_snapshot()
    async with connection_pool(database_url, timeout=POOL_TIMEOUT) as pool:
        await record_changes_with(pool, incident, event(1))
        stoppable_postgres.stop()
        mitigated = incident.model_copy(
            update={"status": IncidentStatus.MITIGATED, "mitigated_at": DECLARED_AT + 2 * MINUTE}
        )
        events = [event(1), event(2, "status_changed", old="investigating", new="mitigated")]
        with pytest.raises(psycopg.OperationalError):  # retryable: Temporal tries again later
            await record_changes_with(pool, mitigated, *events)

        stoppable_postgres.start()
        await record_changes_with(pool, mitigated, *events)
        await record_changes_with(pool, mitigated, *events)
    recorded = await fetch(database_url)
    assert [key for key, *_ in timeline(recorded)] == ["declared", "event:1", "event:2"]
    assert (recorded["status"], recorded["mitigated_at"]) == ("mitigated", DECLARED_AT + 2 * MINUTE)
