"""The record activity: idempotent upserts of the incident snapshot into PostgreSQL."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import psycopg_pool
import pytest
from psycopg_pool import AsyncConnectionPool
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.records import NUMBER_TAKEN, RecordActivities
from fireline.db.pool import connection_pool
from fireline.db.queries import fetch_incident
from fireline.devstack.localpg import LocalPostgres, free_port
from fireline.models import ChannelRef, Declaration, IncidentSnapshot, IncidentStatus
from fireline.policy import SeverityLevel
from workflows.activity_options import RECORD_FLOOR

DECLARED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


# How long a checkout waits while the server is down (the worker's pool waits 5 s).
POOL_TIMEOUT = 0.5


def make_snapshot(**changes: Any) -> IncidentSnapshot:
    declaration = Declaration(
        title="Checkout returns 502",
        severity="SEV1",
        description="Payments API is failing",
        impact="Customers cannot pay",
        reporter_id="U0REPORTER",
        commander_id="U0COMMANDER",
        tags=["payments", "api"],
        source_permalink="https://acme.slack.com/archives/C0ALERTS/p1700000000000100",
        team_id="T0ACME",
    )
    snapshot = IncidentSnapshot(
        incident_id="incident-5b0c1a",
        number=42,
        declaration=declaration,
        severity=SeverityLevel(name="SEV1", label="critical"),
        declared_at=DECLARED_AT,
        workflow_url="http://localhost:8233/namespaces/default/workflows/incident-5b0c1a",
    )
    return snapshot.model_copy(update=changes)


def with_channel(snapshot: IncidentSnapshot) -> IncidentSnapshot:
    channel = ChannelRef(
        id="C0INC42", name="inc-42-checkout", url="https://acme.slack.com/archives/C0INC42"
    )
    return snapshot.model_copy(update={"channel": channel})


async def record(database_url: str, snapshot: IncidentSnapshot, **info: Any) -> None:
    async with connection_pool(database_url, timeout=POOL_TIMEOUT) as pool:
        await record_with(pool, snapshot, **info)


async def record_with(
    pool: AsyncConnectionPool[Any], snapshot: IncidentSnapshot, **info: Any
) -> None:
    env = ActivityEnvironment()
    if info:
        env.info = dataclasses.replace(env.info, **info)
    await env.run(RecordActivities(pool).record_incident, snapshot)


async def count(database_url: str, table: str) -> int:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute(f"SELECT count(*) FROM {table}")
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def test_record_twice_writes_one_of_everything(database_url: str) -> None:
    snapshot = make_snapshot()
    await record(database_url, snapshot)
    await record(database_url, snapshot)  # a retry, or a duplicate delivery

    incident = await fetch_incident(database_url, snapshot.incident_id)
    assert incident is not None
    assert incident["number"] == 42
    assert incident["title"] == "Checkout returns 502"
    assert (incident["severity"], incident["severity_label"]) == ("SEV1", "critical")
    assert incident["status"] == "investigating"
    assert incident["declared_at"] == DECLARED_AT
    assert incident["private"] is False
    assert incident["channel_id"] is None
    assert incident["mitigated_at"] is None and incident["resolved_at"] is None
    assert [(p["role"], p["user_id"]) for p in incident["people"]] == [
        ("commander", "U0COMMANDER"),
        ("reporter", "U0REPORTER"),
    ]
    assert [(link["kind"], link["url"]) for link in incident["links"]] == [
        ("source_message", snapshot.declaration.source_permalink),
        ("temporal", snapshot.workflow_url),
    ]
    assert incident["tags"] == ["api", "payments"]
    [declared] = incident["timeline"]
    assert declared["event_key"] == "declared"
    assert declared["occurred_at"] == DECLARED_AT
    assert declared["actor_id"] == "U0REPORTER"
    assert declared["text"] == "INC-42 declared by <@U0REPORTER>: Checkout returns 502"

    counts = {
        table: await count(database_url, table)
        for table in ("incidents", "incident_people", "external_links", "timeline_events")
    }
    assert counts == {
        "incidents": 1,
        "incident_people": 2,
        "external_links": 2,
        "timeline_events": 1,
    }


async def test_later_snapshots_update_the_record(database_url: str) -> None:
    first = make_snapshot()
    await record(database_url, first)

    mitigated_at = DECLARED_AT + timedelta(minutes=25)
    declaration = first.declaration.model_copy(
        update={"commander_id": "U0NEWCMDR", "tags": ["payments", "database"]}
    )
    later = with_channel(first).model_copy(
        update={
            "declaration": declaration,
            "status": IncidentStatus.MITIGATED,
            "severity": SeverityLevel(name="SEV2", label="major"),
        }
    )
    await record(database_url, later, scheduled_time=mitigated_at)
    await record(database_url, later, scheduled_time=mitigated_at + timedelta(minutes=5))

    incident = await fetch_incident(database_url, first.incident_id)
    assert incident is not None
    assert incident["status"] == "mitigated"
    assert incident["mitigated_at"] == mitigated_at  # the first time it was seen, kept on retry
    assert incident["resolved_at"] is None
    assert (incident["severity"], incident["severity_label"]) == ("SEV2", "major")
    assert (incident["channel_id"], incident["channel_name"]) == ("C0INC42", "inc-42-checkout")
    assert incident["commander_id"] == "U0NEWCMDR"
    assert [(p["role"], p["user_id"]) for p in incident["people"]] == [
        ("commander", "U0NEWCMDR"),
        ("reporter", "U0REPORTER"),
    ]
    assert {link["kind"]: link["title"] for link in incident["links"]} == {
        "slack_channel": "#inc-42-checkout",
        "source_message": "Source message",
        "temporal": "Temporal workflow",
    }
    assert incident["tags"] == ["database", "payments"]
    assert len(incident["timeline"]) == 1
    assert await count(database_url, "incidents") == 1

    resolved_at = mitigated_at + timedelta(hours=1)
    resolved = later.model_copy(update={"status": IncidentStatus.RESOLVED})
    await record(database_url, resolved, scheduled_time=resolved_at)
    incident = await fetch_incident(database_url, first.incident_id)
    assert incident is not None
    assert (incident["mitigated_at"], incident["resolved_at"]) == (mitigated_at, resolved_at)

    reopened = later.model_copy(update={"status": IncidentStatus.INVESTIGATING})
    await record(database_url, reopened, scheduled_time=resolved_at + timedelta(hours=1))
    incident = await fetch_incident(database_url, first.incident_id)
    assert incident is not None
    assert (incident["mitigated_at"], incident["resolved_at"]) == (None, None)


async def test_resolving_directly_also_marks_mitigated(database_url: str) -> None:
    resolved_at = DECLARED_AT + timedelta(minutes=10)
    snapshot = make_snapshot(status=IncidentStatus.RESOLVED)
    await record(database_url, snapshot, scheduled_time=resolved_at)
    incident = await fetch_incident(database_url, snapshot.incident_id)
    assert incident is not None
    assert (incident["mitigated_at"], incident["resolved_at"]) == (resolved_at, resolved_at)


async def test_incidents_are_kept_apart(database_url: str) -> None:
    await record(database_url, make_snapshot())
    other = make_snapshot(incident_id="incident-other", number=43)
    await record(database_url, other)
    assert await count(database_url, "incidents") == 2
    assert await count(database_url, "timeline_events") == 2
    assert await fetch_incident(database_url, "incident-missing") is None


async def test_number_taken_by_another_incident_is_not_retryable(database_url: str) -> None:
    await record(database_url, make_snapshot())
    with pytest.raises(ApplicationError) as caught:
        await record(database_url, make_snapshot(incident_id="incident-other"))
    assert caught.value.non_retryable
    assert caught.value.type == NUMBER_TAKEN
    assert await count(database_url, "incidents") == 1


async def test_a_number_refused_for_another_reason_is_not_reported_taken(
    database_url: str,
) -> None:
    with pytest.raises(ApplicationError) as caught:
        await record(database_url, make_snapshot(number=0))
    assert caught.value.non_retryable
    assert caught.value.type == "CheckViolation"


async def highest_number(database_url: str) -> int:
    async with connection_pool(database_url, timeout=POOL_TIMEOUT) as pool:
        return await ActivityEnvironment().run(RecordActivities(pool).highest_incident_number)


async def test_the_highest_recorded_number_is_read(database_url: str) -> None:
    assert await highest_number(database_url) == 0
    await record(database_url, make_snapshot(number=43))
    await record(database_url, make_snapshot(incident_id="incident-other", number=7))
    assert await highest_number(database_url) == 43


async def test_reading_the_highest_number_gives_up_quickly_while_the_database_is_down() -> None:
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/fireline"
    async with connection_pool(closed) as pool:
        started = time.monotonic()
        with pytest.raises(psycopg_pool.PoolTimeout):
            await ActivityEnvironment().run(RecordActivities(pool).highest_incident_number)
    assert time.monotonic() - started < RECORD_FLOOR["start_to_close_timeout"].total_seconds()


async def test_nul_in_typed_text_is_stored_without_it(database_url: str) -> None:
    snapshot = make_snapshot()
    typed = {
        "title": "Disk\x00 full",
        "description": "a\x00b",
        "impact": "\x00c",
        "tags": ["x\x00"],
    }
    await record(
        database_url,
        snapshot.model_copy(update={"declaration": snapshot.declaration.model_copy(update=typed)}),
    )

    row = await fetch_incident(database_url, snapshot.incident_id)
    assert row is not None
    assert (row["title"], row["description"], row["impact"]) == ("Disk full", "ab", "c")
    assert row["tags"] == ["x"]


async def test_database_down_raises_a_retryable_error() -> None:
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/fireline"
    with pytest.raises(psycopg.OperationalError):
        await record(closed, make_snapshot())


async def test_outage_then_recovery(database_url: str, stoppable_postgres: LocalPostgres) -> None:
    """One pool across a restart: its broken connections are replaced, not used."""
    async with connection_pool(database_url, timeout=POOL_TIMEOUT) as pool:
        await record_with(pool, make_snapshot())
        stoppable_postgres.stop()
        mitigated = make_snapshot(status=IncidentStatus.MITIGATED)
        with pytest.raises(psycopg.OperationalError):
            await record_with(pool, mitigated)  # Temporal would retry this attempt later

        stoppable_postgres.start()
        await record_with(pool, mitigated)
    incident = await fetch_incident(database_url, mitigated.incident_id)
    assert incident is not None
    assert incident["status"] == "mitigated"
    assert incident["timeline"][0]["event_key"] == "declared"
