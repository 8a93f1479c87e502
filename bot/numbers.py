"""Incident numbers from the IncidentCounter workflow, with concurrent requests coalesced.

Updates to one workflow are serialized by Temporal, so one Update per declaration caps how fast
incidents can be declared at once. Here only one Update is in flight per bot process; the requests
that arrive meanwhile wait and go together in the next one.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.client import Client

from fireline.models import AllocateNumbersInput
from workflows.counter import allocate_numbers


class NumberAllocator:
    def __init__(self, temporal: Client, task_queue: str, rpc_timeout: timedelta) -> None:
        self._temporal = temporal
        self._task_queue = task_queue
        self._rpc_timeout = rpc_timeout
        self._waiting: dict[str, asyncio.Future[int]] = {}
        self._in_flight = asyncio.Lock()

    async def allocate(self, key: str) -> int:
        """The number for this incident key (its workflow id); the same key gets the same number."""
        future = self._waiting.get(key)
        if future is None:
            future = self._waiting[key] = asyncio.get_running_loop().create_future()
        async with self._in_flight:
            if not future.done():
                # Take the batch before awaiting: requests arriving meanwhile form the next one.
                batch, self._waiting = self._waiting, {}
                await self._send(batch)
        return await future

    async def _send(self, batch: dict[str, asyncio.Future[int]]) -> None:
        try:
            numbers = await allocate_numbers(
                self._temporal,
                self._task_queue,
                AllocateNumbersInput(keys=list(batch)),
                self._rpc_timeout,
            )
        except Exception as err:
            for future in batch.values():
                future.set_exception(err)
        else:
            for key, future in batch.items():
                future.set_result(numbers[key])
