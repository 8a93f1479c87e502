"""The outbox as a folder of JSON files, one per entry, for a bot without a database.

Each write goes to a temporary file that is flushed to disk and renamed over the entry, and the
folder is synced after renames and removals, so an entry survives a crash or power loss from the
moment `add` returns. Bots on one host may share the folder: every step holds an exclusive lock.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

from pydantic import BaseModel

from bot.outbox.base import CLAIM_LIMIT, OutboxUnavailable, PendingDeclaration

T = TypeVar("T")


class _Record(BaseModel):
    entry: PendingDeclaration
    leased_by: str
    leased_until: float  # time.time()


class FileOutbox:
    def __init__(self, folder: Path, holder: str, lease: timedelta) -> None:
        self._folder = folder
        self._holder = holder
        self._lease = lease.total_seconds()

    async def add(self, entry: PendingDeclaration) -> bool:
        def add() -> bool:
            if self._path(entry.workflow_id).exists():
                return False
            self._write(_Record(entry=entry, leased_by=self._holder, leased_until=self._until()))
            return True

        return await self._locked(add)

    async def claim(self) -> list[PendingDeclaration]:
        def claim() -> list[PendingDeclaration]:
            now = time.time()
            expired = [r for r in self._records() if r.leased_until <= now]
            expired.sort(key=lambda record: record.entry.declared_at)
            for record in expired[:CLAIM_LIMIT]:
                self._write(
                    record.model_copy(
                        update={"leased_by": self._holder, "leased_until": self._until()}
                    )
                )
            return [record.entry for record in expired[:CLAIM_LIMIT]]

        return await self._locked(claim)

    async def renew(self, workflow_id: str) -> bool:
        def renew() -> bool:
            record = self._held(workflow_id)
            if record is not None:
                self._write(record.model_copy(update={"leased_until": self._until()}))
            return record is not None

        return await self._locked(renew)

    async def take_delay_notice(self, workflow_id: str) -> bool:
        def take() -> bool:
            record = self._held(workflow_id)
            if record is None or record.entry.delay_notified:
                return False
            entry = record.entry.model_copy(update={"delay_notified": True})
            self._write(record.model_copy(update={"entry": entry}))
            return True

        return await self._locked(take)

    async def remove(self, workflow_id: str) -> bool:
        def remove() -> bool:
            if self._held(workflow_id) is None:
                return False
            self._path(workflow_id).unlink()
            self._sync_folder()
            return True

        return await self._locked(remove)

    async def release(self) -> None:
        def release() -> None:
            now = time.time()
            for record in self._records():
                if record.leased_by == self._holder:
                    self._write(record.model_copy(update={"leased_until": now}))

        await self._locked(release)

    async def _locked(self, step: Callable[[], T]) -> T:
        """Run `step` in a thread (disk writes must not stall the event loop), holding the lock."""

        def run() -> T:
            self._folder.mkdir(parents=True, exist_ok=True)
            with (self._folder / ".lock").open("a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
                return step()

        try:
            return await asyncio.to_thread(run)
        except OSError as err:
            raise OutboxUnavailable(f"{self._folder}: {err}") from err

    def _until(self) -> float:
        return time.time() + self._lease

    def _path(self, workflow_id: str) -> Path:
        return self._folder / f"{quote(workflow_id, safe='')}.json"

    def _records(self) -> list[_Record]:
        return [
            _Record.model_validate_json(path.read_bytes()) for path in self._folder.glob("*.json")
        ]

    def _held(self, workflow_id: str) -> _Record | None:
        """The entry's record if this holder has it."""
        try:
            record = _Record.model_validate_json(self._path(workflow_id).read_bytes())
        except FileNotFoundError:
            return None
        return record if record.leased_by == self._holder else None

    def _write(self, record: _Record) -> None:
        staging = self._folder / ".staging"
        with staging.open("wb") as file:
            file.write(record.model_dump_json().encode())
            file.flush()
            os.fsync(file.fileno())
        staging.replace(self._path(record.entry.workflow_id))
        self._sync_folder()

    def _sync_folder(self) -> None:
        folder = os.open(self._folder, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
