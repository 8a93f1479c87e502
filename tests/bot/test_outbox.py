"""The outbox's behaviour, the same for both stores: what a restarted bot finds, and which bot may
tell the reporter what."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.outbox.base import OutboxUnavailable, PendingDeclaration
from fireline.models import Declaration
from tests.fixtures.outbox import EXPIRED, Store


def pending(n: int = 1) -> PendingDeclaration:
    return PendingDeclaration(
        workflow_id=f"incident-T1-V{n}",
        declaration=Declaration(
            title=f"Checkout is failing <{n}>",
            severity="SEV2",
            description="Payments answer 502",
            reporter_id="UREPORTER",
            commander_id="UCOMMANDER",
            private=True,
            tags=["payments"],
        ),
        declared_at=datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC) + timedelta(seconds=n),
    )


async def test_a_stopped_bots_entry_is_claimed_whole(store: Store) -> None:
    stopped = store.holder(lease=EXPIRED)
    entry = pending()
    assert await stopped.add(entry)

    assert await store.holder().claim() == [entry]


async def test_a_leased_entry_is_claimed_only_once_released(store: Store) -> None:
    running, other = store.holder(), store.holder()
    await running.add(pending())
    assert await other.claim() == []

    await running.release()
    assert await other.claim() == [pending()]
    assert await running.claim() == []  # now other's


async def test_a_redelivered_submission_is_not_added_twice(store: Store) -> None:
    first, second = store.holder(), store.holder()
    assert await first.add(pending())
    assert not await first.add(pending())
    assert not await second.add(pending())


async def test_only_the_holder_tells_and_removes(store: Store) -> None:
    stopped, holder = store.holder(lease=EXPIRED), store.holder()
    await stopped.add(pending())
    await holder.claim()

    for step in (stopped.renew, stopped.take_delay_notice, stopped.remove):
        assert not await step(pending().workflow_id)
    assert await holder.renew(pending().workflow_id)
    assert await holder.take_delay_notice(pending().workflow_id)
    assert not await holder.take_delay_notice(pending().workflow_id)  # once
    assert await holder.remove(pending().workflow_id)
    assert not await holder.remove(pending().workflow_id)
    await holder.release()
    assert await store.holder().claim() == []


async def test_the_delay_notice_is_remembered_across_bots(store: Store) -> None:
    first = store.holder()
    await first.add(pending())
    assert await first.take_delay_notice(pending().workflow_id)
    await first.release()

    second = store.holder()
    (claimed,) = await second.claim()
    assert claimed.delay_notified
    assert not await second.take_delay_notice(claimed.workflow_id)


async def test_concurrent_claims_share_out_the_entries(store: Store) -> None:
    stopped = store.holder(lease=EXPIRED)
    entries = [pending(n) for n in range(20)]
    for entry in entries:
        await stopped.add(entry)

    claims = await asyncio.gather(*(store.holder().claim() for _ in range(4)))

    claimed = [entry.workflow_id for claim in claims for entry in claim]
    assert sorted(claimed) == sorted(entry.workflow_id for entry in entries)


async def test_an_unavailable_store_says_so_quickly(store: Store) -> None:
    outbox = store.holder()
    await outbox.add(pending(1))
    store.break_()

    started = time.monotonic()
    with pytest.raises(OutboxUnavailable):
        await outbox.add(pending(2))
    assert time.monotonic() - started < 2
    with pytest.raises(OutboxUnavailable):
        await outbox.claim()
