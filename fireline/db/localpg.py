"""An embedded PostgreSQL for `fireline dev` and the tests, from the binaries bundled by `pgserver`.

We only borrow pgserver's binaries: the server runs as our own child process, listens on TCP on
127.0.0.1 only (so any local client, the worker and `psql` alike, reaches it with a plain URL) and
stops when we say so, with no atexit hooks or shared handles. Every login needs the password, which
is made at initdb and kept beside the data directory (0600). Under root the server runs as a system
user (see server_user).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO

import psutil
import psycopg

from fireline.db.server_user import (
    SYSTEM_USER,
    ServerUser,
    as_user,
    chown_tree,
    let_user_into,
    reachable,
    readable_install,
    server_user,
)
from fireline.private_file import write_private

logger = logging.getLogger(__name__)

SUPERUSER = "postgres"
DATABASE = "fireline"
HOST = "127.0.0.1"
# Password (SCRAM) logins only, over loopback TCP and the server's own socket; never `trust`.
HBA = """# Written by Fireline on every start.
local   all   all                  scram-sha-256
host    all   all   127.0.0.1/32   scram-sha-256
"""

# Early exits worth another try: the previous postmaster's children still hold its shared memory,
# or a lock file (data directory, socket) names a process that is only now going away.
_TRANSIENT_START_ERRORS = ("pre-existing shared memory block", "lock file")


class LocalPostgresError(RuntimeError):
    """The embedded PostgreSQL could not be initialised or started; the message has the log tail."""


def postgres_bin_dir() -> Path:
    """The `bin/` of the PostgreSQL bundled by pgserver, found without importing pgserver (whose
    import sets up lock files and runtime directories we do not use)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise LocalPostgresError("the pgserver package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def free_port(host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class LocalPostgres:
    """One PostgreSQL server over one data directory, on a fixed host and port.

    The port is chosen once, so `url` stays valid across `stop()` and `start()`: tests stop the
    server to simulate an outage and start it again later with the data intact.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        settings: Mapping[str, str] | None = None,
        log_path: Path | None = None,
    ) -> None:
        self._requested = Path(data_dir).expanduser().resolve()
        # Where the cluster is: as requested, or its stand-in when the server user cannot get
        # there (decided when it starts, see _prepare_dirs).
        self.data_dir = self._requested
        self._bin = postgres_bin_dir()
        self.port = port if port is not None else free_port(HOST)
        # Extra server settings (`-c name=value`), e.g. {"fsync": "off"} for throwaway test data.
        self.settings = dict(settings or {})
        self.log_path = log_path or self._requested.parent / "postgres.log"
        self.process: subprocess.Popen[bytes] | None = None

    # -- public API -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.url_for(DATABASE)

    def url_for(self, database: str) -> str:
        """The URL of `database`, password included (the server has been started once)."""
        password = self._password_file.read_text().strip()
        return f"postgresql://{SUPERUSER}:{password}@{HOST}:{self.port}/{database}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 30) -> None:
        if self.running:
            return
        deadline = time.monotonic() + timeout
        self._reap()
        owner = server_user()
        self._prepare_dirs(owner)
        self._clear_stale_postmaster()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb(owner, timeout=max(deadline - time.monotonic(), 1))
        elif not self._password_file.exists():
            self._set_password(owner)  # a cluster made before logins needed a password
        self._write_hba(owner)
        socket_dir = self._socket_dir(owner)
        with self._log() as log:
            while True:
                offset = self.log_path.stat().st_size
                self.process = subprocess.Popen(
                    self._command(socket_dir),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.data_dir,
                    # Its own session: a Ctrl-C meant for `fireline dev` does not reach it, so the
                    # supervisor can stop the worker first and the database last.
                    start_new_session=True,
                    **as_user(owner),
                )
                failure = self._wait_ready(deadline, offset)
                if failure is None:
                    break
                self.process = None
                transient = any(marker in failure for marker in _TRANSIENT_START_ERRORS)
                if not transient or time.monotonic() >= deadline:
                    raise LocalPostgresError(
                        f"PostgreSQL in {self.data_dir} did not start: {failure.strip()}\n"
                        f"(full log: {self.log_path})"
                    )
                time.sleep(0.1)
        self._ensure_database()
        self._owner_file.write_text(f"{os.getpid()} {psutil.Process().create_time()}\n")

    def stop(self, timeout: float = 10) -> None:
        process = self.process
        if process is None:
            return
        try:
            children = psutil.Process(process.pid).children(recursive=True)
        except psutil.Error:
            children = []
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # fast shutdown: roll back, disconnect, checkpoint
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                logger.warning("PostgreSQL (pid %s) ignored fast shutdown; killing it", process.pid)
                process.kill()
                process.wait()
        # After a fast shutdown the children are already gone; after a kill they follow shortly.
        for child in _wait_gone(children, timeout=5):
            with contextlib.suppress(psutil.Error):
                child.kill()
        self.process = None
        self._owner_file.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # emptied by the server's exit; kept if it is not
            self.socket_dir.rmdir()

    def __enter__(self) -> LocalPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"LocalPostgres({str(self.data_dir)!r}, port={self.port}, {state})"

    # -- internals --------------------------------------------------------------------------------

    def _command(self, socket_dir: Path) -> list[str]:
        command = [
            str(self._bin / "postgres"),
            "-D",
            str(self.data_dir),
            "-h",
            HOST,
            "-p",
            str(self.port),
            "-k",
            str(socket_dir),
        ]
        for name, value in self.settings.items():
            command += ["-c", f"{name}={value}"]
        return command

    def _wait_ready(self, deadline: float, log_offset: int) -> str | None:
        """None once the server accepts connections, else why it did not."""
        assert self.process is not None
        last_error = "timed out"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                return f"exited with code {code}: {self._log_tail(log_offset)}"
            try:
                with psycopg.connect(self.url_for("postgres"), connect_timeout=2, autocommit=True):
                    return None
            except psycopg.OperationalError as err:
                last_error = str(err)
            time.sleep(0.02)
        self._terminate_failed_start()
        return f"not accepting connections after the timeout: {last_error}"

    def _terminate_failed_start(self) -> None:
        with contextlib.suppress(Exception):
            self.stop(timeout=5)

    def _ensure_database(self) -> None:
        with psycopg.connect(self.url_for("postgres"), connect_timeout=5, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
            ).fetchone()
            if exists is None:
                with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                    conn.execute(f'CREATE DATABASE "{DATABASE}"')

    def _reap(self) -> None:
        # A killed postmaster stays a zombie until waited for, and a zombie's pid still "exists":
        # the new postmaster would take its lock file for a live server.
        if self.process is not None:
            self.process.poll()
            self.process = None

    def _clear_stale_postmaster(self) -> None:
        """Make a postmaster.pid left by a killed run harmless."""
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return
        try:
            proc = psutil.Process(pid)
            serves_us = proc.status() != psutil.STATUS_ZOMBIE and Path(proc.cwd()) == self.data_dir
        except psutil.Error:
            serves_us = False
        if not serves_us:
            # The pid is dead or now belongs to someone else: PostgreSQL would otherwise refuse to
            # start whenever that pid happens to be alive and owned by the same user.
            pid_file.unlink(missing_ok=True)
            return
        owner = self._recorded_owner()
        if owner is not None:
            by = "another LocalPostgres in this process" if owner == os.getpid() else f"pid {owner}"
            raise LocalPostgresError(
                f"PostgreSQL pid {pid}, started by {by}, already serves {self.data_dir}; "
                "stop that first"
            )
        # An orphan postmaster from a run that was killed: shut it down, then start our own.
        logger.info("stopping leftover PostgreSQL pid %s on %s", pid, self.data_dir)
        processes = [proc, *proc.children(recursive=True)]
        with contextlib.suppress(psutil.Error):
            proc.send_signal(signal.SIGINT)
        for stuck in _wait_gone(processes, timeout=10):
            with contextlib.suppress(psutil.Error):
                stuck.kill()
        _wait_gone(processes, timeout=5)

    @property
    def _owner_file(self) -> Path:
        # Which process started the server: a leftover server is only ours to stop when that
        # process is gone (killed without stopping it).
        return self.data_dir.with_name(self.data_dir.name + ".owner")

    def _recorded_owner(self) -> int | None:
        """The pid of the live process that started the server, if it is still running."""
        try:
            pid_text, created_text = self._owner_file.read_text().split()
            owner = psutil.Process(int(pid_text))
            if abs(owner.create_time() - float(created_text)) < 0.01:
                return int(owner.pid)
        except (OSError, ValueError, psutil.Error):
            pass
        return None

    @property
    def _password_file(self) -> Path:
        return self.data_dir.with_name(self.data_dir.name + ".password")

    def _new_password(self) -> str:
        password = secrets.token_urlsafe(24)
        write_private(self._password_file, password + "\n")
        return password

    def _prepare_dirs(self, owner: ServerUser | None) -> None:
        self._requested.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if owner is None:
            return
        let_user_into(self._requested.parent)
        self._bin = readable_install(postgres_bin_dir().parent, owner) / "bin"
        home = reachable(self._requested.parent, owner, "data")
        if home != self._requested.parent:
            home.mkdir(mode=0o755, exist_ok=True)
            logger.info(
                "%s is out of %s's reach; the cluster lives in %s",
                self._requested,
                SYSTEM_USER,
                home,
            )
        self.data_dir = home / self._requested.name
        if self.data_dir.exists():
            chown_tree(self.data_dir, owner)

    def _write_hba(self, owner: ServerUser | None) -> None:
        hba = self.data_dir / "pg_hba.conf"
        hba.write_text(HBA)
        if owner is not None:
            os.chown(hba, owner.uid, owner.gid)

    def _set_password(self, owner: ServerUser | None) -> None:
        """Give the superuser a password through single-user mode, which needs no login."""
        sql = f"ALTER ROLE {SUPERUSER} PASSWORD '{self._new_password()}';\n"
        command = [str(self._bin / "postgres"), "--single", "-D", str(self.data_dir)]
        result = subprocess.run(
            [*command, "postgres"],
            input=sql.encode(),
            stdout=subprocess.DEVNULL,  # single-user mode echoes what it runs
            stderr=subprocess.PIPE,
            cwd=self.data_dir,
            check=False,
            timeout=60,
            **as_user(owner),
        )
        if result.returncode != 0:
            self._password_file.unlink(missing_ok=True)
            raise LocalPostgresError(
                f"could not set the password of {self.data_dir}: "
                f"{result.stderr.decode(errors='replace').strip()}"
            )

    def _initdb(self, owner: ServerUser | None, timeout: float) -> None:
        # initdb into a sibling and rename, so a run killed halfway never leaves a half-made
        # data directory that the next start would trip over.
        staging = self.data_dir.with_name(self.data_dir.name + ".initdb")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(mode=0o700)
        # The password reaches initdb in a file only the server user reads, removed right after.
        pwfile = staging.with_name(staging.name + ".pw")
        write_private(pwfile, self._new_password() + "\n")
        if owner is not None:
            os.chown(staging, owner.uid, owner.gid)
            os.chown(pwfile, owner.uid, owner.gid)
        command = [
            str(self._bin / "initdb"),
            "-D",
            str(staging),
            "--username",
            SUPERUSER,
            "--auth",
            "scram-sha-256",
            "--pwfile",
            str(pwfile),
            "--encoding",
            "UTF8",
            "--no-locale",
            "--no-sync",
            "--no-instructions",
        ]
        with self._log() as log:
            log.write(f"--- initdb {self.data_dir}\n".encode())
            log.flush()
            offset = log.tell()
            try:
                result = subprocess.run(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    check=False,
                    timeout=timeout,
                    **as_user(owner),
                )
                failure = f"code {result.returncode}" if result.returncode != 0 else None
            except subprocess.TimeoutExpired:
                failure = f"no result after {timeout:.0f} s"
            finally:
                pwfile.unlink(missing_ok=True)
        if failure is not None:
            shutil.rmtree(staging, ignore_errors=True)
            raise LocalPostgresError(f"initdb failed ({failure}): {self._log_tail(offset)}")
        if self.data_dir.exists():
            if any(self.data_dir.iterdir()):
                raise LocalPostgresError(
                    f"{self.data_dir} is not empty and not a PostgreSQL cluster"
                )
            self.data_dir.rmdir()
        staging.rename(self.data_dir)

    @property
    def socket_dir(self) -> Path:
        """Where the server's unix socket lives (for `psql -h`). Socket paths are limited to ~100
        bytes, so it is a short folder in the temp directory rather than the data directory."""
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"fireline-pg-{digest}"

    def _socket_dir(self, owner: ServerUser | None) -> Path:
        path = self.socket_dir
        path.mkdir(mode=0o700, exist_ok=True)
        # No server of ours runs now, so sockets here are a killed one's (maybe on another port).
        for leftover in path.glob(".s.PGSQL.*"):
            leftover.unlink(missing_ok=True)
        if owner is not None:
            os.chown(path, owner.uid, owner.gid)
        return path

    @contextlib.contextmanager
    def _log(self) -> Iterator[IO[bytes]]:
        with self.log_path.open("ab") as log:
            yield log

    def _log_tail(self, offset: int | None = None, limit: int = 4000) -> str:
        try:
            with self.log_path.open("rb") as log:
                size = log.seek(0, os.SEEK_END)
                start = max(offset or 0, size - limit)
                log.seek(start)
                return log.read().decode(errors="replace")
        except OSError:
            return ""


def _wait_gone(processes: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait until the processes have exited; returns those still running at the timeout.

    An exited process whose parent has not reaped it yet (a zombie) counts as gone: the orphaned
    children of a killed postmaster are reaped by init, whenever init gets to it.
    """
    deadline = time.monotonic() + timeout
    while True:
        alive = [proc for proc in processes if _alive(proc)]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.02)


def _alive(proc: psutil.Process) -> bool:
    try:
        return bool(proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False
