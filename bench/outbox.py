"""What the declaration outbox adds to the modal's ack: the latency of `Outbox.add`, the one write
the bot makes before acknowledging a submission, for each store.

PostgreSQL is an embedded server with its default (durable) settings; the file journal is a
folder on the same disk. Each entry is removed after its add, as it is once Temporal has it.

    uv run python -m bench.outbox --entries 300 --concurrency 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bench.stack import percentile
from bot.outbox import new_holder
from bot.outbox.base import LEASE, Outbox, PendingDeclaration
from bot.outbox.files import FileOutbox
from bot.outbox.postgres import PostgresOutbox, outbox_pool
from fireline.db.migrate import apply_migrations
from fireline.devstack.localpg import LocalPostgres
from fireline.models import Declaration


def entry() -> PendingDeclaration:
    return PendingDeclaration(
        workflow_id=f"incident-TBENCH-{uuid.uuid4().hex}",
        declaration=Declaration(
            title="Checkout is failing",
            severity="SEV2",
            description="Payments API answers 502 since 14:02. " * 20,
            reporter_id="UREPORTER",
            commander_id="UCOMMANDER",
        ),
        declared_at=datetime.now(UTC),
    )


async def measure(name: str, outbox: Outbox, entries: int, concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one() -> None:
        pending = entry()
        async with gate:
            started = time.perf_counter()
            await outbox.add(pending)
            latencies.append((time.perf_counter() - started) * 1000)
            await outbox.remove(pending.workflow_id)

    await asyncio.gather(*(one() for _ in range(min(entries, 20))))  # warm-up
    latencies.clear()
    await asyncio.gather(*(one() for _ in range(entries)))
    print(
        f"{name:<12} add ms: p50 {percentile(latencies, 50):6.2f}  "
        f"p99 {percentile(latencies, 99):6.2f}  max {max(latencies):6.2f}"
    )


async def run(entries: int, concurrency: int) -> None:
    print(f"{entries} adds, {concurrency} at a time, on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        files = FileOutbox(Path(tmp) / "outbox", new_holder(), LEASE)
        await measure("files", files, entries, concurrency)
        with LocalPostgres(Path(tmp) / "pg") as postgres:
            await apply_migrations(postgres.url)
            async with outbox_pool(postgres.url) as pool:
                await pool.wait()
                outbox = PostgresOutbox(pool, new_holder(), LEASE)
                await measure("postgresql", outbox, entries, concurrency)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(run(args.entries, args.concurrency))


if __name__ == "__main__":
    main()
