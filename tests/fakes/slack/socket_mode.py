"""Slack's Socket Mode WebSocket endpoint, for the URLs ``apps.connections.open`` hands out.

An aiohttp server on 127.0.0.1 with its own event loop in its own thread (like the HTTP fake,
independent of the test's loop). On connect it sends ``hello``; ``send`` delivers an envelope to
the newest connection, as Slack delivers each envelope once; the client's answers
(``{"envelope_id": ..., "payload": ...}``) are kept as acks.
"""

from __future__ import annotations

import asyncio
import copy
import json
import threading
import uuid
from typing import Any

from aiohttp import WSMsgType, web

# Envelope types whose ack may carry a response payload (Slack sets this; events_api does not).
RESPONSE_PAYLOAD_TYPES = frozenset({"slash_commands", "interactive"})


class SocketModeServer:
    def __init__(self, app_id: str = "A0FAKEAPP1") -> None:
        self.app_id = app_id
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._tickets: set[str] = set()
        self._clients: list[web.WebSocketResponse] = []
        self._sent: list[dict[str, Any]] = []
        self._acks: list[dict[str, Any]] = []

    # lifecycle ------------------------------------------------------------------
    def start(self) -> None:
        if self._loop is not None:
            return
        loop = self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=loop.run_forever, name="fake-slack-socket-mode")
        self._thread.daemon = True
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), loop).result(10)

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_get("/link/", self._connect)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = self._runner.addresses[0][1]

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(15)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
        self._loop = self._thread = None

    async def _shutdown(self) -> None:
        for ws in list(self._clients):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def reset(self) -> None:
        """Forget tickets, sent messages and acks (open connections stay open)."""
        with self._lock:
            self._tickets.clear()
            self._sent.clear()
            self._acks.clear()

    # the apps.connections.open side ---------------------------------------------
    def issue_url(self) -> str:
        """A fresh connection URL, like Slack's ``wss://.../link/?ticket=...&app_id=...``."""
        if self._loop is None:
            raise RuntimeError("the Socket Mode server is not started")
        ticket = str(uuid.uuid4())
        with self._lock:
            self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self._port}/link/?ticket={ticket}&app_id={self.app_id}"

    async def _connect(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            known = request.query.get("ticket", "") in self._tickets
        if not known:
            return web.Response(status=401, text="invalid ticket")
        ws = web.WebSocketResponse()  # answers the client's pings itself
        await ws.prepare(request)
        with self._lock:
            self._clients.append(ws)
            count = len(self._clients)
        await self._send(ws, _hello(self.app_id, count))
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                data = json.loads(message.data)
                if isinstance(data, dict) and "envelope_id" in data:
                    with self._lock:
                        self._acks.append(data)
        finally:
            with self._lock:
                self._clients.remove(ws)
        return ws

    async def _send(self, ws: web.WebSocketResponse, message: dict[str, Any]) -> None:
        with self._lock:
            self._sent.append(copy.deepcopy(message))
        await ws.send_str(json.dumps(message))

    # the test's side --------------------------------------------------------------
    def send(self, type: str, payload: dict[str, Any]) -> str:
        """Deliver an envelope to the newest connected client; returns its envelope_id."""
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": payload,
            "accepts_response_payload": type in RESPONSE_PAYLOAD_TYPES,
        }
        with self._lock:
            if not self._clients or self._loop is None:
                raise RuntimeError("no Socket Mode client is connected")
            ws, loop = self._clients[-1], self._loop
        asyncio.run_coroutine_threadsafe(self._send(ws, envelope), loop).result(5)
        return envelope_id

    def connections(self) -> int:
        with self._lock:
            return len(self._clients)

    def sent(self) -> list[dict[str, Any]]:
        """Every message sent to clients (hellos and envelopes), in order."""
        with self._lock:
            return copy.deepcopy(self._sent)

    def acks(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._acks)

    def ack(self, envelope_id: str) -> dict[str, Any] | None:
        """The client's answer to one envelope, once it arrived."""
        return next((a for a in self.acks() if a["envelope_id"] == envelope_id), None)


def _hello(app_id: str, num_connections: int) -> dict[str, Any]:
    return {
        "type": "hello",
        "num_connections": num_connections,
        "debug_info": {
            "host": "applink-fake",
            "build_number": 1,
            "approximate_connection_time": 3600,
        },
        "connection_info": {"app_id": app_id},
    }
