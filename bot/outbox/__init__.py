"""The declaration outbox: declarations the bot has acknowledged in Slack that Temporal has not
accepted yet, kept durably so a bot restart does not lose them.

One bot holds each entry under a lease while it tries to start the incident; an entry whose lease
ran out (its bot stopped) is claimed by the next bot that drains the outbox. Messages to the
reporter go through atomic steps of the store (`take_delay_notice`, `remove`), so of several bots
draining one outbox only the holder tells the reporter, once.

PostgreSQL when DATABASE_URL is set (several bot replicas share it), else a file journal in
FIRELINE_DATA_DIR (one bot per folder).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.outbox.base import LEASE, Outbox
from bot.outbox.files import FileOutbox
from bot.outbox.postgres import PostgresOutbox, outbox_pool
from fireline.settings import Settings

log = logging.getLogger(__name__)


def new_holder() -> str:
    """Names the bot process in the store (a lease's owner), readable when an operator looks."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@asynccontextmanager
async def open_outbox(settings: Settings) -> AsyncIterator[Outbox]:
    if settings.database_url:
        log.info("declaration outbox: PostgreSQL")
        async with outbox_pool(settings.database_url) as pool:
            yield PostgresOutbox(pool, new_holder(), LEASE)
        return
    folder = settings.fireline_data_dir.resolve() / "outbox"
    log.info("declaration outbox: files in %s", folder)
    yield FileOutbox(folder, new_holder(), LEASE)
