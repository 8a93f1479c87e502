"""Schema migrations: applied once, in order, safely from concurrent runners."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import psycopg
import pytest

from fireline.db.migrate import MigrationError, apply_migrations, load_migrations

EXPECTED_TABLES = {
    "schema_migrations",
    "incidents",
    "incident_people",
    "external_links",
    "timeline_events",
    "incident_tags",
    "declaration_outbox",
}


async def _tables(url: str) -> set[str]:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        cursor = await conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        return {row[0] for row in await cursor.fetchall()}


async def _recorded(url: str) -> list[str]:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        cursor = await conn.execute("SELECT version FROM schema_migrations ORDER BY version")
        return [row[0] for row in await cursor.fetchall()]


def _package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]) -> str:
    """A throwaway migrations package holding `files`."""
    name = f"migrations_{uuid.uuid4().hex[:8]}"
    folder = tmp_path / name
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    for file_name, text in files.items():
        (folder / file_name).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def test_shipped_migrations_are_ordered() -> None:
    versions = [migration.version for migration in load_migrations()]
    assert versions[0] == "0001_incidents"
    assert versions == sorted(versions)


async def test_applies_once(empty_database_url: str) -> None:
    assert await _tables(empty_database_url) == set()

    applied = await apply_migrations(empty_database_url)

    assert applied == [migration.version for migration in load_migrations()]
    assert await _tables(empty_database_url) >= EXPECTED_TABLES
    assert await _recorded(empty_database_url) == applied
    assert await apply_migrations(empty_database_url) == []


async def test_concurrent_runs_apply_each_migration_once(empty_database_url: str) -> None:
    first, second, third = await asyncio.gather(
        apply_migrations(empty_database_url),
        apply_migrations(empty_database_url),
        apply_migrations(empty_database_url),
    )
    versions = [migration.version for migration in load_migrations()]
    assert sorted(first + second + third) == versions
    assert await _recorded(empty_database_url) == versions


async def test_database_url_fixture_is_migrated(database_url: str) -> None:
    assert await apply_migrations(database_url) == []
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute("SELECT count(*) FROM incidents")
        assert await cursor.fetchone() == (0,)


async def test_failed_migration_leaves_nothing_behind(
    empty_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = _package(
        tmp_path,
        monkeypatch,
        {
            "0001_first.sql": "CREATE TABLE first (id int);",
            "0002_broken.sql": "CREATE TABLE second (id int); SELECT no_such_column FROM first;",
            "0003_third.sql": "CREATE TABLE third (id int);",
        },
    )
    with pytest.raises(psycopg.errors.UndefinedColumn):
        await apply_migrations(empty_database_url, package=package)

    assert await _recorded(empty_database_url) == ["0001_first"]
    assert await _tables(empty_database_url) == {"schema_migrations", "first"}


def test_duplicate_numbers_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = _package(
        tmp_path, monkeypatch, {"0001_a.sql": "SELECT 1;", "0001_b.sql": "SELECT 2;"}
    )
    with pytest.raises(MigrationError, match="share the number 0001"):
        load_migrations(package)


def test_badly_named_files_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = _package(tmp_path, monkeypatch, {"1_first.sql": "SELECT 1;"})
    with pytest.raises(MigrationError, match="NNNN_snake_case"):
        load_migrations(package)
