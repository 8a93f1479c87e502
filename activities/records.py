"""The record activity: writes the incident as the workflow knows it into PostgreSQL.

The database is a projection of the workflow's state, so every write is an upsert of the whole
snapshot in one transaction: a retry, a duplicate or a later snapshot all converge on the same rows.
Connections come from the worker's pool (fireline.db.pool). While the database is down the checkout
times out, the activity raises an ordinary (retryable) error and Temporal tries again later; the
incident itself never waits on it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool
from temporalio import activity
from temporalio.exceptions import ApplicationError

from fireline.models import IncidentSnapshot
from fireline.user_text import without_nul

# mitigated_at / resolved_at keep the first time the record saw that status (resolving implies
# mitigating) and are cleared when the incident is reopened.
_UPSERT_INCIDENT = """
INSERT INTO incidents AS i (
    id, number, title, severity, severity_label, status, description, impact, private,
    reporter_id, commander_id, team_id, channel_id, channel_name, declared_at,
    mitigated_at, resolved_at
) VALUES (
    %(id)s, %(number)s, %(title)s, %(severity)s, %(severity_label)s, %(status)s, %(description)s,
    %(impact)s, %(private)s, %(reporter_id)s, %(commander_id)s, %(team_id)s, %(channel_id)s,
    %(channel_name)s, %(declared_at)s,
    CASE WHEN %(status)s IN ('mitigated', 'resolved') THEN %(observed_at)s::timestamptz END,
    CASE WHEN %(status)s = 'resolved' THEN %(observed_at)s::timestamptz END
)
ON CONFLICT (id) DO UPDATE SET
    number = EXCLUDED.number,
    title = EXCLUDED.title,
    severity = EXCLUDED.severity,
    severity_label = EXCLUDED.severity_label,
    status = EXCLUDED.status,
    description = EXCLUDED.description,
    impact = EXCLUDED.impact,
    private = EXCLUDED.private,
    reporter_id = EXCLUDED.reporter_id,
    commander_id = EXCLUDED.commander_id,
    team_id = COALESCE(EXCLUDED.team_id, i.team_id),
    channel_id = COALESCE(EXCLUDED.channel_id, i.channel_id),
    channel_name = COALESCE(EXCLUDED.channel_name, i.channel_name),
    declared_at = EXCLUDED.declared_at,
    mitigated_at = CASE WHEN EXCLUDED.status IN ('mitigated', 'resolved')
                        THEN COALESCE(i.mitigated_at, EXCLUDED.mitigated_at) END,
    resolved_at = CASE WHEN EXCLUDED.status = 'resolved'
                       THEN COALESCE(i.resolved_at, EXCLUDED.resolved_at) END,
    updated_at = now()
"""

# Reporter and commander have one holder each: a new holder replaces the old row.
_REPLACE_ROLE_HOLDERS = """
DELETE FROM incident_people
WHERE incident_id = %(id)s AND role = %(role)s AND user_id <> %(user_id)s
"""
_ADD_PERSON = """
INSERT INTO incident_people (incident_id, user_id, role) VALUES (%(id)s, %(user_id)s, %(role)s)
ON CONFLICT DO NOTHING
"""

_REMOVE_OTHER_TAGS = """
DELETE FROM incident_tags WHERE incident_id = %(id)s AND tag <> ALL(%(tags)s::text[])
"""
_ADD_TAGS = """
INSERT INTO incident_tags (incident_id, tag) SELECT %(id)s, unnest(%(tags)s::text[])
ON CONFLICT DO NOTHING
"""

_UPSERT_LINK = """
INSERT INTO external_links AS l (incident_id, kind, url, title)
VALUES (%(id)s, %(kind)s, %(url)s, %(title)s)
ON CONFLICT (incident_id, kind) DO UPDATE SET
    url = EXCLUDED.url, title = EXCLUDED.title, updated_at = now()
WHERE (l.url, l.title) IS DISTINCT FROM (EXCLUDED.url, EXCLUDED.title)
"""

# Timeline events are history: the first write wins and retries change nothing.
_ADD_EVENT = """
INSERT INTO timeline_events (incident_id, event_key, kind, occurred_at, actor_id, text)
VALUES (%(id)s, %(event_key)s, %(kind)s, %(occurred_at)s, %(actor_id)s, %(text)s)
ON CONFLICT (incident_id, event_key) DO NOTHING
"""


class RecordActivities:
    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool

    @activity.defn(name="record_incident")
    async def record_incident(self, snapshot: IncidentSnapshot) -> None:
        """Upsert the incident, its people, tags, links and the declared event."""
        try:
            async with (
                self._pool.connection() as conn,
                conn.transaction(),
                conn.pipeline(),
            ):
                await _write(conn, _storable(snapshot), _observed_at(snapshot))
        except (psycopg.IntegrityError, psycopg.DataError) as err:
            # The snapshot itself cannot be stored (another incident holds this number): retrying
            # would fail the same way forever.
            raise ApplicationError(
                f"{snapshot.incident_id}: the record refused the snapshot: {err}",
                type=type(err).__name__,
                non_retryable=True,
            ) from err


async def _write(
    conn: psycopg.AsyncConnection[Any],
    snapshot: IncidentSnapshot,
    observed_at: datetime,
) -> None:
    declaration = snapshot.declaration
    channel = snapshot.channel
    incident_id = snapshot.incident_id
    await conn.execute(
        _UPSERT_INCIDENT,
        {
            "id": incident_id,
            "number": snapshot.number,
            "title": declaration.title,
            "severity": snapshot.severity.name,
            "severity_label": snapshot.severity.label,
            "status": snapshot.status.value,
            "description": declaration.description,
            "impact": declaration.impact,
            "private": declaration.private,
            "reporter_id": declaration.reporter_id,
            "commander_id": declaration.commander_id,
            "team_id": declaration.team_id,
            "channel_id": channel.id if channel else None,
            "channel_name": channel.name if channel else None,
            "declared_at": _aware(snapshot.declared_at),
            "observed_at": observed_at,
        },
    )

    for role, user_id in (
        ("reporter", declaration.reporter_id),
        ("commander", declaration.commander_id),
    ):
        person = {"id": incident_id, "role": role, "user_id": user_id}
        await conn.execute(_REPLACE_ROLE_HOLDERS, person)
        await conn.execute(_ADD_PERSON, person)

    tags = list(dict.fromkeys(tag.strip() for tag in declaration.tags if tag.strip()))
    await conn.execute(_REMOVE_OTHER_TAGS, {"id": incident_id, "tags": tags})
    if tags:
        await conn.execute(_ADD_TAGS, {"id": incident_id, "tags": tags})

    links = [("temporal", snapshot.workflow_url, "Temporal workflow")]
    if channel is not None and channel.url:
        links.append(("slack_channel", channel.url, f"#{channel.name}"))
    if declaration.source_permalink:
        links.append(("source_message", declaration.source_permalink, "Source message"))
    for kind, url, title in links:
        await conn.execute(
            _UPSERT_LINK, {"id": incident_id, "kind": kind, "url": url, "title": title}
        )

    await conn.execute(
        _ADD_EVENT,
        {
            "id": incident_id,
            "event_key": "declared",
            "kind": "declared",
            "occurred_at": _aware(snapshot.declared_at),
            "actor_id": declaration.reporter_id,
            "text": f"{snapshot.reference} declared by <@{declaration.reporter_id}>: "
            f"{declaration.title}",
        },
    )


def _storable(snapshot: IncidentSnapshot) -> IncidentSnapshot:
    """The snapshot without NUL in what people typed: PostgreSQL refuses it in text, forever."""
    declaration = snapshot.declaration
    typed = {
        "title": without_nul(declaration.title),
        "description": without_nul(declaration.description),
        "impact": without_nul(declaration.impact),
        "tags": [without_nul(tag) for tag in declaration.tags],
    }
    return snapshot.model_copy(update={"declaration": declaration.model_copy(update=typed)})


def _observed_at(snapshot: IncidentSnapshot) -> datetime:
    """When the workflow asked for this record: the best time we have for a status change.

    The activity's scheduled time comes from Temporal (virtual time in time-skipping tests) and does
    not move when retries wait out a database outage; never earlier than the declaration.
    """
    return max(_aware(activity.info().scheduled_time), _aware(snapshot.declared_at))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
