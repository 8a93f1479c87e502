"""The HTTP layer: a ThreadingHTTPServer on loopback that feeds the Dispatcher.

/api/<method>      Slack Web API (form, JSON or query args; Bearer token)
/response/<key>    response_url endpoints (JSON body)
"""

from __future__ import annotations

import contextlib
import select
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .args import normalise, parse_body, parse_query
from .dispatch import RESPONSE_URL, Dispatcher, Outcome


class FakeSlackServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 64

    def __init__(self, dispatcher: Dispatcher, host: str = "127.0.0.1", port: int = 0) -> None:
        self.dispatcher = dispatcher
        super().__init__((host, port), _Handler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def handle_error(self, request: object, client_address: object) -> None:
        # A client hanging up a kept-alive connection (a worker stopping) is normal, not a bug.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.name = f"fake-slack-{self.server_address[1]}"
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeSlackServer

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep pytest output clean

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

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
        path = url.path
        if path.startswith("/api/"):
            method, key = path.removeprefix("/api/"), None
        elif path.startswith("/response/"):
            method, key = RESPONSE_URL, path.removeprefix("/response/")
        else:
            self._send(Outcome(404, b"not found", {"Content-Type": "text/plain"}))
            return
        try:
            args = parse_query(url.query)
            args.update(parse_body(raw, self.headers.get("Content-Type", "")))
        except ValueError:
            self._send(Outcome.json({"ok": False, "error": "invalid_json"}))
            return
        token = args.pop("token", None)
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth.removeprefix("Bearer ").strip()
        outcome = self.server.dispatcher.handle(
            method, normalise(args), token, key, client_gone=self._client_gone
        )
        self._send(outcome)

    def _client_gone(self) -> bool:
        """The client hung up while its request waited (its own timeout): readable with no data."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _send(self, outcome: Outcome) -> None:
        # Keep-alive like Slack's own servers; only an injected drop closes the connection.
        if outcome.drop:
            self.close_connection = True
            # Close without a status line: the client sees RemoteDisconnected (urllib)
            # or ServerDisconnectedError (aiohttp) after having sent its request.
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(outcome.status)
        for name, value in outcome.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(outcome.body)))
        self.end_headers()
        self.wfile.write(outcome.body)
