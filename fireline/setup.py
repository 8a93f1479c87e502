"""`fireline migrate`: the one setup step a deployment runs; idempotent, so `fireline dev` runs it
on every start."""

from __future__ import annotations

from temporalio.converter import DataConverter

from fireline.db.migrate import apply_migrations
from fireline.settings import Settings
from fireline.temporal import connect, register_search_attributes


async def migrate(settings: Settings) -> list[str]:
    """Apply database migrations and register search attributes; returns what was done."""
    done = [
        f"migration {version}"
        for version in await apply_migrations(settings.require_database_url())
    ]
    # Only the operator service is used: no payloads, so no encryption key is needed here.
    client = await connect(settings, converter=DataConverter.default)
    added = await register_search_attributes(client, settings.temporal_namespace)
    done += [f"search attribute {name}" for name in added]
    return done
