"""The embedded PostgreSQL: start, stop, restart with the data kept, recovery after a kill."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest

from fireline.db.localpg import LocalPostgres, LocalPostgresError
from fireline.db.server_user import SHARED_ROOT, SYSTEM_USER
from tests.fixtures.postgres import reachable_folder

# Another process that starts the server, then is killed without stopping it.
OWNER_SCRIPT = """
import sys, time
from pathlib import Path
from fireline.db.localpg import LocalPostgres
pg = LocalPostgres(Path(sys.argv[1]), port=int(sys.argv[2]))
pg.start()
print(pg.process.pid, flush=True)
time.sleep(60)
"""


@pytest.fixture(scope="module")
def pg() -> Iterator[LocalPostgres]:
    # Its own server: these tests kill it, which the session's shared server should not suffer.
    with reachable_folder() as folder:
        server = LocalPostgres(folder / "data", settings={"fsync": "off"})
        server.start()
        try:
            yield server
        finally:
            server.stop()


def _processes(server: LocalPostgres) -> list[psutil.Process]:
    assert server.process is not None
    postmaster = psutil.Process(server.process.pid)
    return [postmaster, *postmaster.children(recursive=True)]


def _count(url: str) -> int:
    with psycopg.connect(url, connect_timeout=5) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS kept (n int)")
        conn.execute("INSERT INTO kept VALUES (1)")
        row = conn.execute("SELECT count(*) FROM kept").fetchone()
    assert row is not None
    return int(row[0])


def _assert_gone(processes: list[psutil.Process]) -> None:
    # A zombie has exited; it only waits for its parent (init, for orphans) to reap it.
    def running(proc: psutil.Process) -> bool:
        try:
            return bool(proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE)
        except psutil.NoSuchProcess:
            return False

    deadline = time.monotonic() + 5
    while any(running(proc) for proc in processes) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [proc for proc in processes if running(proc)] == []


def test_url_and_free_port(pg: LocalPostgres) -> None:
    password = (pg.data_dir.parent / "data.password").read_text().strip()
    assert pg.url == f"postgresql://postgres:{password}@127.0.0.1:{pg.port}/fireline"
    with psycopg.connect(pg.url) as conn:
        row = conn.execute("SELECT current_database(), current_user").fetchone()
    assert row == ("fireline", "postgres")


def test_restart_keeps_data(pg: LocalPostgres) -> None:
    pg.start()
    first = _count(pg.url)
    pid = pg.process.pid if pg.process else None
    pg.start()  # already running: nothing happens
    assert pg.process is not None and pg.process.pid == pid

    pg.stop()
    assert not pg.running
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(pg.url, connect_timeout=2)

    pg.start()
    assert pg.running
    assert _count(pg.url) == first + 1


def test_stop_leaves_no_processes_and_is_idempotent(pg: LocalPostgres) -> None:
    pg.start()
    processes = _processes(pg)
    assert len(processes) > 1  # the postmaster and its checkpointer, walwriter, ...
    pg.stop()
    _assert_gone(processes)
    assert pg.process is None
    assert not pg.socket_dir.exists()
    pg.stop()
    assert not pg.running


def test_start_after_kill_9(pg: LocalPostgres) -> None:
    pg.start()
    before = _count(pg.url)
    processes = _processes(pg)
    postmaster = processes[0]
    os.kill(postmaster.pid, signal.SIGKILL)
    # Not reaped yet: the killed postmaster is a zombie whose pid is still in postmaster.pid.
    while postmaster.status() != psutil.STATUS_ZOMBIE:
        time.sleep(0.01)
    assert (pg.data_dir / "postmaster.pid").exists()
    assert not pg.running

    pg.start()
    assert _count(pg.url) == before + 1  # crash recovery kept the committed rows
    pg.stop()
    _assert_gone(processes)


def test_stale_pid_file_naming_a_live_process(pg: LocalPostgres) -> None:
    """postmaster.pid from a killed run whose pid now belongs to an unrelated process of the
    server's user: PostgreSQL alone would refuse to start ("lock file already exists")."""
    pg.start()
    pid_file = pg.data_dir / "postmaster.pid"
    contents = pid_file.read_text().splitlines()
    pg.stop()

    as_user = {"user": SYSTEM_USER} if os.geteuid() == 0 else {}
    impostor = subprocess.Popen(["sleep", "60"], **as_user)  # type: ignore[call-overload]
    try:
        pid_file.write_text("\n".join([str(impostor.pid), *contents[1:]]) + "\n")
        pg.start(timeout=15)
        assert pg.running
        assert impostor.poll() is None  # not ours to kill
    finally:
        impostor.kill()
        impostor.wait()
        pg.stop()


def test_leftover_server_of_a_killed_run(pg: LocalPostgres) -> None:
    pg.stop()
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER_SCRIPT, str(pg.data_dir), str(pg.port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout is not None
    leftover = psutil.Process(int(owner.stdout.readline()))
    try:
        # While the process that started it runs, the server is not ours to stop.
        with pytest.raises(LocalPostgresError, match="already serves"):
            pg.start()
        owner.kill()
        owner.wait()
        assert leftover.is_running()  # orphaned, still holding the data directory and port

        pg.start()
        assert pg.process is not None and pg.process.pid != leftover.pid
        _assert_gone([leftover])
        assert _count(pg.url) >= 1
    finally:
        owner.kill()
        owner.wait()
        if leftover.is_running():
            leftover.kill()


def test_fresh_data_dir_in_a_new_folder(server_tmp: Path) -> None:
    server = LocalPostgres(server_tmp / "nested" / "pgdata", settings={"fsync": "off"})
    assert not server.running
    server.stop()  # stopping a never-started server is fine
    with server:
        assert server.running
        assert (server_tmp / "nested" / "postgres.log").exists()
    assert not server.running


@pytest.fixture
def no_saved_passwords(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """libpq would otherwise take a password from the environment or ~/.pgpass."""
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))


def _refused_without_password(server: LocalPostgres) -> None:
    over_tcp = f"postgresql://postgres@127.0.0.1:{server.port}/fireline"
    over_socket = f"host={server.socket_dir} port={server.port} user=postgres dbname=fireline"
    for conninfo in (over_tcp, over_socket):
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(conninfo, connect_timeout=5)


@pytest.mark.usefixtures("no_saved_passwords")
def test_logins_need_the_password(pg: LocalPostgres) -> None:
    pg.start()
    _refused_without_password(pg)
    password_file = pg.data_dir.parent / "data.password"
    assert password_file.stat().st_mode & 0o777 == 0o600
    assert "trust" not in (pg.data_dir / "pg_hba.conf").read_text()
    with psycopg.connect(pg.url, connect_timeout=5) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.usefixtures("no_saved_passwords")
def test_a_cluster_made_before_passwords_gets_one(server_tmp: Path) -> None:
    server = LocalPostgres(server_tmp / "data", settings={"fsync": "off"})
    with server:
        rows = _count(server.url)
    # What earlier versions left behind: trust logins and no password.
    (server.data_dir / "pg_hba.conf").write_text("host all all 127.0.0.1/32 trust\n")
    (server_tmp / "data.password").unlink()

    with server:
        _refused_without_password(server)
        assert _count(server.url) == rows + 1


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another user")
def test_under_root_no_folder_above_its_own_is_opened(server_tmp: Path) -> None:
    """A checkout under /root: the server user cannot get in, and no folder above the data's
    own is opened for it; the cluster lives in a stand-in under SHARED_ROOT instead."""
    private = server_tmp / "private"
    private.mkdir(mode=0o700)
    modes = {folder: folder.stat().st_mode for folder in (private, *private.parents)}

    server = LocalPostgres(private / "fireline" / "data", settings={"fsync": "off"})
    try:
        with server:
            assert _count(server.url) == 1
        assert server.data_dir.parent.parent == SHARED_ROOT
        with server:  # the same stand-in, data kept
            assert _count(server.url) == 2
    finally:
        shutil.rmtree(server.data_dir.parent, ignore_errors=True)

    assert {folder: folder.stat().st_mode for folder in modes} == modes
