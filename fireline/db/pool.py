"""The worker's PostgreSQL connection pool.

Opening does not wait for the database: the worker starts while PostgreSQL is down, a checkout
waits at most `timeout` and raises (Temporal retries the activity), and each connection is checked
before use, so connections broken by a database restart are replaced instead of failing a write.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.instrumentation.utils import suppress_instrumentation
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

CONNECT_TIMEOUT_SECONDS = 5
# psycopg_pool retries a failed connection with doubling delays (1, 2, 4, 8, 16, 32 s ...) until
# this many seconds, and starts no other attempt meanwhile. Short, so that after a long outage the
# next checkout (the activity retries every few seconds) starts a fresh attempt right away.
RECONNECT_TIMEOUT_SECONDS = 10


async def _check_untraced(connection: AsyncConnection[Any]) -> None:
    """The pool's liveness check of a connection it hands out: not a statement worth a span."""
    with suppress_instrumentation():
        await AsyncConnectionPool.check_connection(connection)


def connection_pool(
    database_url: str, *, max_size: int = 10, timeout: float = CONNECT_TIMEOUT_SECONDS
) -> AsyncConnectionPool[Any]:
    """A closed pool; open it with `async with` (which does not wait for the server)."""
    return AsyncConnectionPool(
        database_url,
        min_size=1,
        max_size=max_size,
        open=False,
        timeout=timeout,
        reconnect_timeout=RECONNECT_TIMEOUT_SECONDS,
        check=_check_untraced,
        kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_SECONDS},
        connection_class=AsyncConnection,
    )
