"""Schema migrations: numbered .sql files shipped inside the package, applied in order, once each.

Each file runs in its own transaction together with its row in `schema_migrations`, so a failed
migration leaves nothing behind. A transaction-scoped advisory lock serializes concurrent runners
(two `fireline migrate`, or a worker starting while a deploy migrates): the second waits, then sees
the migration recorded and skips it. Never rename or edit a migration once it has been applied
anywhere; add a new one.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources

import psycopg

logger = logging.getLogger(__name__)

MIGRATIONS_PACKAGE = "fireline.db.migrations"
# Arbitrary but fixed: every Fireline process migrating any database takes this lock key.
MIGRATION_LOCK_KEY = 0x66697265_6C696E65  # the ASCII bytes of "fireline"

_FILE_NAME = re.compile(r"^(?P<number>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")

_CREATE_TABLE = b"""
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     text PRIMARY KEY,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


class MigrationError(RuntimeError):
    """The migration files are inconsistent (duplicate or malformed numbers)."""


@dataclass(frozen=True)
class Migration:
    version: str  # the file name without .sql, e.g. "0001_incidents"
    sql: str


def load_migrations(package: str = MIGRATIONS_PACKAGE) -> list[Migration]:
    """The migrations in `package`, in order. Other files (`__init__.py`) are ignored."""
    migrations: dict[str, Migration] = {}
    for entry in resources.files(package).iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _FILE_NAME.match(entry.name)
        if match is None:
            raise MigrationError(f"{entry.name}: migration files are named NNNN_snake_case.sql")
        number = match["number"]
        if number in migrations:
            raise MigrationError(
                f"{entry.name} and {migrations[number].version}.sql share the number {number}"
            )
        migrations[number] = Migration(version=entry.name[: -len(".sql")], sql=entry.read_text())
    return [migrations[number] for number in sorted(migrations)]


async def apply_migrations(database_url: str, *, package: str = MIGRATIONS_PACKAGE) -> list[str]:
    """Apply the pending migrations; returns the versions applied (empty when up to date)."""
    migrations = load_migrations(package)
    applied: list[str] = []
    async with await psycopg.AsyncConnection.connect(
        database_url, autocommit=True, connect_timeout=10
    ) as conn:
        for migration in migrations:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
                await conn.execute(_CREATE_TABLE)
                cursor = await conn.execute(
                    "SELECT 1 FROM schema_migrations WHERE version = %s", (migration.version,)
                )
                if await cursor.fetchone() is not None:
                    continue
                logger.info("applying migration %s", migration.version)
                # No parameters: psycopg sends the file as one simple query, all its statements.
                await conn.execute(migration.sql.encode())
                await conn.execute(
                    "INSERT INTO schema_migrations (version) VALUES (%s)", (migration.version,)
                )
            applied.append(migration.version)
    return applied
