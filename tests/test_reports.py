"""The queries in docs/reports.md, run against a record written by record_changes."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import psycopg

from fireline.models import IncidentStatus
from fireline.policy import SeverityLevel
from tests.test_record_changes import MINUTE, record_changes
from tests.test_records import DECLARED_AT, make_snapshot

REPORTS = Path(__file__).resolve().parents[1] / "docs" / "reports.md"


def report_query(title: str) -> str:
    """The ```sql block of docs/reports.md whose first line is `-- <title>`."""
    blocks = re.findall(r"```sql\n(.*?)```", REPORTS.read_text(), re.DOTALL)
    [query] = [block for block in blocks if block.startswith(f"-- {title}\n")]
    return query


async def record_incident_in(database_url: str, number: int, **changes: object) -> None:
    incident = make_snapshot(incident_id=f"incident-{number}", number=number, **changes)
    await record_changes(database_url, incident)


async def test_time_to_mitigate_and_resolve_is_one_query(database_url: str) -> None:
    sev2 = SeverityLevel(name="SEV2", label="major")
    at = {n: DECLARED_AT + n * MINUTE for n in (10, 20, 30, 60, 120)}
    await record_incident_in(
        database_url,
        1,
        status=IncidentStatus.RESOLVED,
        mitigated_at=at[10],
        resolved_at=at[60],
    )
    await record_incident_in(
        database_url,
        2,
        status=IncidentStatus.CLOSED,
        mitigated_at=at[30],
        resolved_at=at[120],
        closed_at=at[120],
    )
    await record_incident_in(
        database_url, 3, severity=sev2, status=IncidentStatus.MITIGATED, mitigated_at=at[20]
    )
    await record_incident_in(database_url, 4, severity=sev2)

    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute(
            report_query("Time to mitigate and time to resolve, per severity")
        )
        rows = await cursor.fetchall()
    assert rows == [
        ("SEV1", 2, timedelta(minutes=20), timedelta(minutes=90)),
        ("SEV2", 2, timedelta(minutes=20), None),
    ]


async def test_closed_incidents_leave_the_open_index(database_url: str) -> None:
    for number, status in enumerate(IncidentStatus, start=1):
        declared_at = DECLARED_AT + number * MINUTE
        await record_incident_in(database_url, number, status=status, declared_at=declared_at)
    open_incidents = report_query("Open incidents, newest first")

    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute(open_incidents)
        assert [(number, status) for number, _, _, status, *_ in await cursor.fetchall()] == [
            (3, "mitigated"),
            (2, "identified"),
            (1, "investigating"),
        ]
        # The rows the partial index holds: those its predicate admits.
        cursor = await conn.execute(
            "SELECT pg_get_expr(indpred, indrelid) FROM pg_index"
            " WHERE indexrelid = 'incidents_open_idx'::regclass"
        )
        row = await cursor.fetchone()
        assert row is not None
        cursor = await conn.execute(f"SELECT status FROM incidents WHERE {row[0]} ORDER BY number")
        assert [status for (status,) in await cursor.fetchall()] == [
            "investigating",
            "identified",
            "mitigated",
        ]
        # And the report's query is served by it.
        await conn.execute("SET enable_seqscan = off")
        cursor = await conn.execute(f"EXPLAIN {open_incidents}")
        plan = "\n".join(line for (line,) in await cursor.fetchall())
        assert "incidents_open_idx" in plan
