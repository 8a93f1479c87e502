"""The outbox as a PostgreSQL table, shared by every bot replica of a deployment.

Leases are timed by the database clock, so replicas whose clocks differ still agree on them.
Claims skip rows another replica is claiming at the same moment (FOR UPDATE SKIP LOCKED).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from bot.outbox.base import CLAIM_LIMIT, OutboxUnavailable, PendingDeclaration
from fireline.db.pool import connection_pool

# A checkout waits this long for the database: the submission path must not hold up the ack.
CHECKOUT_TIMEOUT_SECONDS = 1.0

_ADD = """
INSERT INTO declaration_outbox (workflow_id, declaration, declared_at, leased_by, leased_until)
VALUES (%(workflow_id)s, %(declaration)s, %(declared_at)s, %(holder)s, now() + %(lease)s)
ON CONFLICT (workflow_id) DO NOTHING
RETURNING 1
"""
_CLAIM = """
UPDATE declaration_outbox SET leased_by = %(holder)s, leased_until = now() + %(lease)s
WHERE workflow_id IN (
    SELECT workflow_id FROM declaration_outbox
    WHERE leased_until <= now()
    ORDER BY declared_at
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
RETURNING workflow_id, declaration, declared_at, delay_notified
"""
_RENEW = """
UPDATE declaration_outbox SET leased_until = now() + %(lease)s
WHERE workflow_id = %(workflow_id)s AND leased_by = %(holder)s
RETURNING 1
"""
_TAKE_DELAY_NOTICE = """
UPDATE declaration_outbox SET delay_notified = true
WHERE workflow_id = %(workflow_id)s AND leased_by = %(holder)s AND NOT delay_notified
RETURNING 1
"""
_REMOVE = """
DELETE FROM declaration_outbox WHERE workflow_id = %(workflow_id)s AND leased_by = %(holder)s
RETURNING 1
"""
_RELEASE = "UPDATE declaration_outbox SET leased_until = now() WHERE leased_by = %(holder)s"


def outbox_pool(database_url: str) -> AsyncConnectionPool[Any]:
    """A few connections: one statement per declaration step, each a few milliseconds."""
    return connection_pool(database_url, max_size=4, timeout=CHECKOUT_TIMEOUT_SECONDS)


class PostgresOutbox:
    def __init__(self, pool: AsyncConnectionPool[Any], holder: str, lease: timedelta) -> None:
        self._pool = pool
        self._holder = holder
        self._lease = lease

    async def add(self, entry: PendingDeclaration) -> bool:
        return bool(
            await self._rows(
                _ADD,
                workflow_id=entry.workflow_id,
                declaration=Jsonb(entry.declaration.model_dump(mode="json")),
                declared_at=entry.declared_at,
            )
        )

    async def claim(self) -> list[PendingDeclaration]:
        rows = await self._rows(_CLAIM, limit=CLAIM_LIMIT)
        return [PendingDeclaration.model_validate(row) for row in rows]

    async def renew(self, workflow_id: str) -> bool:
        return bool(await self._rows(_RENEW, workflow_id=workflow_id))

    async def take_delay_notice(self, workflow_id: str) -> bool:
        return bool(await self._rows(_TAKE_DELAY_NOTICE, workflow_id=workflow_id))

    async def remove(self, workflow_id: str) -> bool:
        return bool(await self._rows(_REMOVE, workflow_id=workflow_id))

    async def release(self) -> None:
        await self._rows(_RELEASE)

    async def _rows(self, query: str, **params: Any) -> list[dict[str, Any]]:
        """Run one statement (autocommit) as this holder; the rows it returns."""
        try:
            async with self._pool.connection() as conn:
                cursor = conn.cursor(row_factory=dict_row)
                await cursor.execute(
                    query, {"holder": self._holder, "lease": self._lease, **params}
                )
                return await cursor.fetchall() if cursor.description else []
        except psycopg.Error as err:  # PoolTimeout too: the database is down
            raise OutboxUnavailable(f"PostgreSQL: {err}") from err
