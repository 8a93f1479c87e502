"""`fireline migrate` as an operator runs it: a subprocess against real Temporal and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

import psycopg
from temporalio.testing import WorkflowEnvironment

from fireline import search_attributes
from fireline.db.migrate import load_migrations
from fireline.devstack.dev import temporal_cli

ATTRIBUTES = sorted(key.name for key in search_attributes.ALL)
MIGRATIONS = [f"migration {migration.version}" for migration in load_migrations()]


async def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    if process.returncode != 0:
        return process.returncode, stderr.decode()
    return 0, stdout.decode()


async def migrate(cwd: Path, address: str, database_url: str, namespace: str) -> list[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/"),
        "TEMPORAL_ADDRESS": address,
        "TEMPORAL_NAMESPACE": namespace,
        "DATABASE_URL": database_url,
    }
    code, output = await run([sys.executable, "-m", "fireline", "migrate"], cwd, env)
    assert code == 0, output
    return output.splitlines()


async def listed_attributes(address: str, namespace: str, cwd: Path) -> set[str]:
    command = [temporal_cli(), "operator", "search-attribute", "list"]
    code, output = await run([*command, "--address", address, "-n", namespace], cwd)
    assert code == 0, output
    return {line.split()[0] for line in output.splitlines() if line.strip()}


def tables(database_url: str) -> set[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    return {row[0] for row in rows}


async def test_first_run_does_everything_then_nothing(
    dev_server: WorkflowEnvironment, empty_database_url: str, tmp_path: Path
) -> None:
    address = dev_server.client.service_client.config.target_host
    # A namespace of its own: the session's `default` already has the attributes (see below).
    namespace = f"migrate-{uuid.uuid4().hex[:8]}"
    create = [temporal_cli(), "operator", "namespace", "create", "--address", address]
    code, output = await run([*create, "-n", namespace], tmp_path)
    assert code == 0, output
    assert not set(ATTRIBUTES) & await listed_attributes(address, namespace, tmp_path)

    first = await migrate(tmp_path, address, empty_database_url, namespace)

    assert first == MIGRATIONS + [f"search attribute {name}" for name in ATTRIBUTES]
    assert set(ATTRIBUTES) <= await listed_attributes(address, namespace, tmp_path)
    assert {"schema_migrations", "incidents", "timeline_events"} <= tables(empty_database_url)

    assert await migrate(tmp_path, address, empty_database_url, namespace) == [
        "Already up to date."
    ]


async def test_a_namespace_already_set_up_only_gets_the_migrations(
    dev_server: WorkflowEnvironment, empty_database_url: str, tmp_path: Path
) -> None:
    address = dev_server.client.service_client.config.target_host
    # The dev_server fixture registered the attributes in `default` already.
    assert set(ATTRIBUTES) <= await listed_attributes(address, "default", tmp_path)

    assert await migrate(tmp_path, address, empty_database_url, "default") == MIGRATIONS
    assert set(ATTRIBUTES) <= await listed_attributes(address, "default", tmp_path)
    assert await migrate(tmp_path, address, empty_database_url, "default") == [
        "Already up to date."
    ]
