"""Read helpers over the incident record, for tests and reports."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row


async def fetch_incident(database_url: str, incident_id: str) -> dict[str, Any] | None:
    """The incident row plus `people`, `links`, `timeline` (oldest first) and `tags`, or None."""
    async with await psycopg.AsyncConnection.connect(
        database_url, connect_timeout=5, autocommit=True, row_factory=dict_row
    ) as conn:
        cursor = await conn.execute("SELECT * FROM incidents WHERE id = %s", (incident_id,))
        incident = await cursor.fetchone()
        if incident is None:
            return None
        key = (incident_id,)
        cursor = await conn.execute(
            "SELECT role, user_id, added_at FROM incident_people"
            " WHERE incident_id = %s ORDER BY role, user_id",
            key,
        )
        incident["people"] = await cursor.fetchall()
        cursor = await conn.execute(
            "SELECT kind, url, title FROM external_links WHERE incident_id = %s ORDER BY kind", key
        )
        incident["links"] = await cursor.fetchall()
        cursor = await conn.execute(
            "SELECT event_key, kind, occurred_at, actor_id, old_value, new_value, text"
            " FROM timeline_events"
            " WHERE incident_id = %s ORDER BY occurred_at, created_at, event_key",
            key,
        )
        incident["timeline"] = await cursor.fetchall()
        cursor = await conn.execute(
            "SELECT tag FROM incident_tags WHERE incident_id = %s ORDER BY tag", key
        )
        incident["tags"] = [row["tag"] for row in await cursor.fetchall()]
        return incident
