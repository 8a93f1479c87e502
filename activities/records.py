"""The record activities: write the incident as the workflow knows it into PostgreSQL, and read the
highest number the record holds (where the incident counter starts).

The database is a projection of the workflow's state (fireline.db.record writes it, in one
transaction per activity). Connections come from the worker's pool (fireline.db.pool). While the
database is down the checkout times out, the activity raises an ordinary (retryable) error and
Temporal tries again later; the incident itself never waits on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool
from temporalio import activity
from temporalio.exceptions import ActivityError, ApplicationError

from fireline.db.record import aware, write_record
from fireline.models import IncidentSnapshot, RecordInput, TimelineEvent

# The error type of a snapshot refused because another incident holds its number.
NUMBER_TAKEN = "IncidentNumberTaken"
# PostgreSQL's name for `number ... UNIQUE` in 0001_incidents.sql.
_NUMBER_CONSTRAINT = "incidents_number_key"

_HIGHEST_NUMBER = "SELECT coalesce(max(number), 0) FROM incidents"
# The counter waits on this read (workflows.activity_options.RECORD_FLOOR): the checkout and the
# query each give up well within the activity's start-to-close.
_FLOOR_CHECKOUT_SECONDS = 0.8
_FLOOR_STATEMENT_TIMEOUT = "SET LOCAL statement_timeout = 800"


def is_number_taken(err: ActivityError) -> bool:
    """Whether the record refused the snapshot because another incident holds its number."""
    return isinstance(err.cause, ApplicationError) and err.cause.type == NUMBER_TAKEN


class RecordActivities:
    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool

    @activity.defn(name="record_changes")
    async def record_changes(self, input: RecordInput) -> None:
        """Upsert the incident with its status times as given, its people, roles, tags, links and
        the declared event; add the timeline events the record does not hold yet."""
        await self._write(input.incident, input.events, observed_at=None)

    @activity.defn(name="record_incident")
    async def record_incident(self, snapshot: IncidentSnapshot) -> None:
        """Upsert the incident, its people, tags, links and the declared event. Scheduled by
        incidents started before `record_changes`: status times they lack are observed."""
        await self._write(snapshot, [], observed_at=_observed_at(snapshot))

    @activity.defn(name="highest_incident_number")
    async def highest_incident_number(self) -> int:
        """The highest number the record holds, 0 when it holds none."""
        async with (
            self._pool.connection(timeout=_FLOOR_CHECKOUT_SECONDS) as conn,
            conn.transaction(),
        ):
            await conn.execute(_FLOOR_STATEMENT_TIMEOUT)
            cursor = await conn.execute(_HIGHEST_NUMBER)
            row = await cursor.fetchone()
        assert row is not None, "an aggregate always returns a row"
        return int(row[0])

    async def _write(
        self,
        snapshot: IncidentSnapshot,
        events: Sequence[TimelineEvent],
        observed_at: datetime | None,
    ) -> None:
        try:
            async with (
                self._pool.connection() as conn,
                conn.transaction(),
                conn.pipeline(),
            ):
                await write_record(conn, snapshot, events, observed_at)
        except (psycopg.IntegrityError, psycopg.DataError) as err:
            # The snapshot itself cannot be stored (another incident holds this number, which
            # the workflow replaces): retrying would fail the same way forever.
            taken = (
                isinstance(err, psycopg.errors.UniqueViolation)
                and err.diag.constraint_name == _NUMBER_CONSTRAINT
            )
            raise ApplicationError(
                f"{snapshot.incident_id}: the record refused the snapshot: {err}",
                type=NUMBER_TAKEN if taken else type(err).__name__,
                non_retryable=True,
            ) from err


def _observed_at(snapshot: IncidentSnapshot) -> datetime:
    """When the workflow asked for this record: the best time we have for a status change.

    The activity's scheduled time comes from Temporal (virtual time in time-skipping tests) and does
    not move when retries wait out a database outage; never earlier than the declaration.
    """
    return max(aware(activity.info().scheduled_time), aware(snapshot.declared_at))
