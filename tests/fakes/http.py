"""The HTTP layer every fake shares: a ThreadingHTTPServer on loopback that hands each request to
the fake (``respond``) and sends its Outcome, or drops the connection as an outage or a lost
answer would. With a TLS context (PagerDuty's clients take https:// only), accepted sockets are
wrapped in it and the handshake runs in each request's thread.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import ssl
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Outcome:
    """What to do with a request: send (status, body, headers), or drop the connection."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    @classmethod
    def json(cls, payload: Any, status: int = 200, **headers: str) -> Outcome:
        body = json.dumps(payload).encode()
        return cls(status, body, {"Content-Type": "application/json; charset=utf-8", **headers})

    @classmethod
    def html(cls, text: str, status: int) -> Outcome:
        return cls(status, text.encode(), {"Content-Type": "text/html; charset=utf-8"})


@dataclass(frozen=True)
class Request:
    verb: str
    path: str
    query: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    # Whether the client hung up while its request waited (its own timeout).
    client_gone: Callable[[], bool]


class FakeHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 64

    def __init__(
        self,
        respond: Callable[[Request], Outcome],
        name: str,
        host: str = "127.0.0.1",
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.respond = respond
        self.name = name
        self.tls = tls
        super().__init__((host, 0), _Handler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host!s}:{port}"

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        if self.tls is None:
            return sock, address
        return self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def handle_error(self, request: object, client_address: object) -> None:
        # A client hanging up a kept-alive connection (a worker stopping), or refusing the TLS
        # handshake, is normal, not a bug.
        if isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.name = f"fake-{self.name}-{self.server_address[1]}"
        thread.start()
        return thread

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes; with Nagle on, the body waits for the client's
    # delayed ACK (40 ms a request on Linux).
    disable_nagle_algorithm = True
    server: FakeHttpServer

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep pytest output clean

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while (size := int(self.rfile.readline().strip() or b"0", 16)) > 0:
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _handle(self) -> None:
        raw = self._read_body()  # read everything first, so a drop is a clean FIN
        url = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Request(self.command, url.path, url.query, headers, raw, self._client_gone)
        self._send(self.server.respond(request))

    def _client_gone(self) -> bool:
        """The client hung up while its request waited: readable with no data."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _send(self, outcome: Outcome) -> None:
        # Keep-alive like the vendors' own servers; only an injected drop closes the connection.
        if outcome.drop:
            self.close_connection = True
            # Close without a status line: the client sees RemoteDisconnected (urllib, requests)
            # or a disconnect error (aiohttp, httpx) after having sent its request.
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(outcome.status)
        for name, value in outcome.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(outcome.body)))
        self.end_headers()
        self.wfile.write(outcome.body)
