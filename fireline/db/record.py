"""Writing the record: an incident as its workflow knows it, and the timeline events the record
does not hold yet, in the caller's transaction.

Every write is an upsert keyed by the incident (and by event key): a retry, a duplicate or a
later snapshot all converge on the same rows, and nothing written depends on when it is written,
so a write delayed by a database outage lands as it would have landed then.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg

from fireline.models import IncidentSnapshot, IncidentStatus, TimelineEvent
from fireline.user_text import without_nul

# The status times: given by the workflow; when a snapshot has none (written by workflows from
# before it kept them), the first time the record saw the status, see _status_times.
_UPSERT_INCIDENT = """
INSERT INTO incidents AS i (
    id, number, title, severity, severity_label, status, description, impact, private,
    reporter_id, commander_id, team_id, channel_id, channel_name, declared_at,
    identified_at, mitigated_at, resolved_at, closed_at
) VALUES (
    %(id)s, %(number)s, %(title)s, %(severity)s, %(severity_label)s, %(status)s, %(description)s,
    %(impact)s, %(private)s, %(reporter_id)s, %(commander_id)s, %(team_id)s, %(channel_id)s,
    %(channel_name)s, %(declared_at)s,
    %(identified_at)s, %(mitigated_at)s, %(resolved_at)s, %(closed_at)s
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
    identified_at = CASE WHEN %(keep_identified_at)s
                         THEN COALESCE(i.identified_at, EXCLUDED.identified_at)
                         ELSE EXCLUDED.identified_at END,
    mitigated_at = CASE WHEN %(keep_mitigated_at)s
                        THEN COALESCE(i.mitigated_at, EXCLUDED.mitigated_at)
                        ELSE EXCLUDED.mitigated_at END,
    resolved_at = CASE WHEN %(keep_resolved_at)s
                       THEN COALESCE(i.resolved_at, EXCLUDED.resolved_at)
                       ELSE EXCLUDED.resolved_at END,
    closed_at = CASE WHEN %(keep_closed_at)s
                     THEN COALESCE(i.closed_at, EXCLUDED.closed_at)
                     ELSE EXCLUDED.closed_at END,
    updated_at = now()
"""

# One holder per role (0003_lifecycle_record.sql): assigning the role again replaces its holder.
_UPSERT_ROLE = """
INSERT INTO incident_people AS p (incident_id, role, user_id)
VALUES (%(id)s, %(role)s, %(user_id)s)
ON CONFLICT (incident_id, role) DO UPDATE SET user_id = EXCLUDED.user_id, added_at = now()
WHERE p.user_id <> EXCLUDED.user_id
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

_UPSERT_INCIDENT_LINK = """
INSERT INTO incident_links AS l (incident_id, kind, external_id, url, title)
VALUES (%(id)s, %(kind)s, %(external_id)s, %(url)s, %(title)s)
ON CONFLICT (incident_id, kind, external_id) DO UPDATE SET
    url = EXCLUDED.url, title = EXCLUDED.title, updated_at = now()
WHERE (l.url, l.title) IS DISTINCT FROM (EXCLUDED.url, EXCLUDED.title)
"""

# Timeline events are history: the first write wins and retries change nothing.
_ADD_EVENT = """
INSERT INTO timeline_events (
    incident_id, event_key, kind, occurred_at, actor_id, old_value, new_value, text
) VALUES (
    %(id)s, %(key)s, %(kind)s, %(at)s, %(actor_id)s, %(old)s, %(new)s, %(text)s
)
ON CONFLICT (incident_id, event_key) DO NOTHING
"""

# Each statement gives up well within the record activity's 15 s start-to-close (a lock held by
# a stuck transaction, a server that stopped answering).
STATEMENT_TIMEOUT_MS = 4000
_SET_STATEMENT_TIMEOUT = "SELECT set_config('statement_timeout', %s, true)"

# The statuses in the lifecycle's order (fireline.models.IncidentStatus).
_LIFECYCLE = list(IncidentStatus)


async def write_record(
    conn: psycopg.AsyncConnection[Any],
    snapshot: IncidentSnapshot,
    events: Sequence[TimelineEvent],
    observed_at: datetime | None,
) -> None:
    """Upsert the incident, its people and roles, tags, links and declared event, then add
    `events`. `observed_at` stands in for status times a snapshot lacks (see _status_times)."""
    await conn.execute(_SET_STATEMENT_TIMEOUT, (str(STATEMENT_TIMEOUT_MS),))
    await _write_incident(conn, _storable(snapshot), observed_at)
    await _add_events(conn, snapshot.incident_id, events)


async def _write_incident(
    conn: psycopg.AsyncConnection[Any],
    snapshot: IncidentSnapshot,
    observed_at: datetime | None,
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
            "commander_id": snapshot.commander_id,
            "team_id": declaration.team_id,
            "channel_id": channel.id if channel else None,
            "channel_name": channel.name if channel else None,
            "declared_at": aware(snapshot.declared_at),
            **_status_times(snapshot, observed_at),
        },
    )

    holders = {
        "reporter": declaration.reporter_id,
        "commander": snapshot.commander_id,
        **snapshot.roles,
    }
    for role, user_id in holders.items():
        await conn.execute(_UPSERT_ROLE, {"id": incident_id, "role": role, "user_id": user_id})

    tags = list(dict.fromkeys(tag.strip() for tag in declaration.tags if tag.strip()))
    await conn.execute(_REMOVE_OTHER_TAGS, {"id": incident_id, "tags": tags})
    if tags:
        await conn.execute(_ADD_TAGS, {"id": incident_id, "tags": tags})

    links = [("temporal", snapshot.workflow_url, "Temporal workflow")]
    if channel is not None and channel.url:
        links.append(("slack_channel", channel.url, f"#{channel.name}"))
    status = snapshot.status_channel
    if status is not None and status.url:
        links.append(("slack_status_channel", status.url, f"#{status.name}"))
    if declaration.source_permalink:
        links.append(("source_message", declaration.source_permalink, "Source message"))
    for kind, url, title in links:
        await conn.execute(
            _UPSERT_LINK, {"id": incident_id, "kind": kind, "url": url, "title": title}
        )
    for link in snapshot.links:
        await conn.execute(_UPSERT_INCIDENT_LINK, {"id": incident_id, **link.model_dump()})

    declared = TimelineEvent(
        key="declared",
        kind="declared",
        at=snapshot.declared_at,
        actor_id=declaration.reporter_id,
        text=f"{snapshot.reference} declared by <@{declaration.reporter_id}>: {declaration.title}",
    )
    await _add_events(conn, incident_id, [declared])


async def _add_events(
    conn: psycopg.AsyncConnection[Any], incident_id: str, events: Sequence[TimelineEvent]
) -> None:
    # Event texts are typed (notes, updates), and operators type the rest in `temporal` signals.
    for event in events:
        await conn.execute(
            _ADD_EVENT,
            {
                "id": incident_id,
                "key": event.key,
                "kind": event.kind,
                "at": aware(event.at),
                "actor_id": without_nul(event.actor_id),
                "old": None if event.old is None else without_nul(event.old),
                "new": None if event.new is None else without_nul(event.new),
                "text": without_nul(event.text),
            },
        )


def _status_times(snapshot: IncidentSnapshot, observed_at: datetime | None) -> dict[str, Any]:
    """Each status time as the workflow gives it, and whether the record keeps the one it has.

    A status at or before the incident's own keeps its time (a reopen before it clears it). A
    snapshot without that time (from a workflow from before it kept them, or an incident that
    skipped the status) keeps the record's, or else takes `observed_at`: the first time the record
    saw the status. Mitigated, resolved and closed are each implied by the statuses after them
    (resolving implies mitigating); identified is not (a cause may never have been named).
    """
    current = _LIFECYCLE.index(snapshot.status)
    times: dict[str, Any] = {}
    for status, column, given in (
        (IncidentStatus.IDENTIFIED, "identified_at", snapshot.identified_at),
        (IncidentStatus.MITIGATED, "mitigated_at", snapshot.mitigated_at),
        (IncidentStatus.RESOLVED, "resolved_at", snapshot.resolved_at),
        (IncidentStatus.CLOSED, "closed_at", snapshot.closed_at),
    ):
        reached = current >= _LIFECYCLE.index(status)
        if given is not None:
            times[column] = aware(given)
        elif reached and status is not IncidentStatus.IDENTIFIED:
            times[column] = observed_at
        else:
            times[column] = None
        times[f"keep_{column}"] = given is None and reached
    return times


def _storable(snapshot: IncidentSnapshot) -> IncidentSnapshot:
    """The snapshot without NUL in what people typed: PostgreSQL refuses it in text, forever."""
    declaration = snapshot.declaration
    typed = {
        "title": without_nul(declaration.title),
        "description": without_nul(declaration.description),
        "impact": without_nul(declaration.impact),
        "tags": [without_nul(tag) for tag in declaration.tags],
    }
    roles = {without_nul(role): without_nul(user) for role, user in snapshot.roles.items()}
    links = [link.model_copy(update={"title": without_nul(link.title)}) for link in snapshot.links]
    return snapshot.model_copy(
        update={
            "declaration": declaration.model_copy(update=typed),
            "roles": roles,
            "links": links,
        }
    )


def aware(moment: datetime) -> datetime:
    """`moment`, read as UTC when it names no time zone."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
