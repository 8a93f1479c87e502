"""`fireline migrate`: the one setup step a deployment runs; idempotent, so `fireline dev` runs it
on every start."""

from __future__ import annotations

from fireline.db.migrate import apply_migrations
from fireline.settings import Settings
from fireline.temporal import connect, register_search_attributes


async def migrate(settings: Settings) -> list[str]:
    """Apply database migrations and register search attributes; returns what was done."""
    done = [
        f"migration {version}"
        for version in await apply_migrations(settings.require_database_url())
    ]
    client = await connect(settings)
    added = await register_search_attributes(client, settings.temporal_namespace)
    done += [f"search attribute {name}" for name in added]
    return done
