"""`fireline dev` as a developer runs it: a subprocess that starts Temporal, PostgreSQL, the worker
and the bot, and leaves nothing behind when it stops, however it stops."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import psycopg
import pytest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.converter import DataConverter

from fireline import search_attributes
from fireline.devstack.dev import DevStack, temporal_cli
from fireline.devstack.localpg import free_port
from fireline.encryption import ENCODING, Keyring
from fireline.settings import Settings
from fireline.temporal import encrypted_converter
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.slack_requests import SlackRequests
from tests.stack import REPORTER, SIGNING_SECRET, seed_workspace
from workflows.counter import CounterState, IncidentCounterWorkflow

START_TIMEOUT = 60
STOP_TIMEOUT = 30
BANNER = "Fireline is running"
ATTRIBUTES = sorted(key.name for key in search_attributes.ALL)


@dataclass
class Ports:
    temporal: int = field(default_factory=free_port)
    ui: int = field(default_factory=free_port)
    postgres: int = field(default_factory=free_port)
    bot: int = field(default_factory=free_port)
    codec: int = field(default_factory=free_port)
    metrics: int = field(default_factory=free_port)
    bot_metrics: int = field(default_factory=free_port)

    def all(self) -> list[int]:
        return [
            self.temporal,
            self.ui,
            self.postgres,
            self.bot,
            self.codec,
            self.metrics,
            self.bot_metrics,
        ]


def deadline_loop(timeout: float, what: str) -> Iterator[None]:
    """Yield until `timeout` seconds have passed, then fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        yield
        time.sleep(0.05)
    pytest.fail(f"{what} within {timeout:.0f}s")


def alive(proc: psutil.Process) -> bool:
    # An exited process left unreaped (by init, in a container) has stopped all the same.
    try:
        return bool(proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Dev:
    """One `fireline dev` process: stdout read line by line, stderr kept in a file."""

    def __init__(self, env: dict[str, str], cwd: Path, log: Path) -> None:
        self.log = log
        with log.open("ab") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "fireline", "dev"],
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.tree: list[psutil.Process] = []

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def banner(self) -> dict[str, str]:
        """Wait for the banner; returns its lines by label ("Temporal UI", "Slack bot", ...)."""
        deadline = time.monotonic() + START_TIMEOUT
        banner: list[str] = []
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no banner within {START_TIMEOUT}s; stderr:\n{self.stderr()}")
            if line is None:
                pytest.fail(f"fireline dev exited before its banner; stderr:\n{self.stderr()}")
            self.output.append(line)
            if line.startswith(BANNER) or banner:
                banner.append(line)
            if line.startswith("  Slack bot"):
                break
        self.tree = self.processes()
        return {line[:18].strip(): line[18:].strip() for line in banner[1:]}

    def processes(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)

    def child(self, command: str) -> psutil.Process:
        for proc in psutil.Process(self.process.pid).children():
            if proc.cmdline()[-3:] == ["-m", "fireline", command]:
                return proc
        pytest.fail(f"no {command} child among {[p.cmdline() for p in self.processes()]}")

    def wait_exit(self, timeout: float = STOP_TIMEOUT) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"fireline dev still running {timeout}s later; stderr:\n{self.stderr()}")

    def stop(self, signum: int = signal.SIGINT) -> int:
        """Send `signum`, wait for the exit; returns the exit code."""
        self.process.send_signal(signum)
        return self.wait_exit()

    def assert_nothing_left(self, ports: Ports) -> None:
        assert self.tree, "the process tree was never collected"
        for _ in deadline_loop(15, "every process fireline dev started stopped"):
            if not [proc for proc in self.tree if alive(proc)]:
                break
        still = [port for port in ports.all() if listening(port)]
        assert not still, f"still listening on {still}"

    def kill_all(self) -> None:
        """Last resort after a failed test: no process may outlive the test session."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(STOP_TIMEOUT)
        for proc in self.tree:
            if alive(proc):
                with contextlib.suppress(psutil.Error):
                    proc.kill()
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


DevFactory = Callable[..., Dev]


@pytest.fixture
def ports() -> Ports:
    return Ports()


@pytest.fixture
def data_dir(server_tmp: Path) -> Path:
    return server_tmp / "data"


@pytest.fixture
def start_dev(tmp_path: Path, ports: Ports, data_dir: Path) -> Iterator[DevFactory]:
    """Start `fireline dev` on free ports with FIRELINE_DATA_DIR=`data_dir`; stopped after."""
    started: list[Dev] = []

    def start(**extra: str) -> Dev:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/"),
            "FIRELINE_DATA_DIR": str(data_dir),
            "TEMPORAL_ADDRESS": f"127.0.0.1:{ports.temporal}",
            "TEMPORAL_UI_URL": f"http://127.0.0.1:{ports.ui}",
            "DEV_POSTGRES_PORT": str(ports.postgres),
            "PORT": str(ports.bot),
            "CODEC_SERVER_PORT": str(ports.codec),
            "METRICS_PORT": str(ports.metrics),
            "BOT_METRICS_PORT": str(ports.bot_metrics),
            **extra,
        }
        assert "DATABASE_URL" not in env
        dev = Dev(env, tmp_path, tmp_path / f"dev-{len(started)}.stderr")
        started.append(dev)
        return dev

    try:
        yield start
    finally:
        for dev in started:
            dev.kill_all()


def dev_files(data_dir: Path) -> tuple[dict[str, str], str]:
    """The env file's variables and the encryption key, both readable by their owner only."""
    for name in ("env", "encryption-keys"):
        assert (data_dir / name).stat().st_mode & 0o777 == 0o600, name
    lines = (data_dir / "env").read_text().splitlines()
    env = dict(line.split("=", 1) for line in lines)
    return env, (data_dir / "encryption-keys").read_text().strip()


def dev_converter(data_dir: Path) -> DataConverter:
    return encrypted_converter(Keyring.parse(dev_files(data_dir)[1]))


def fireline_children(dev: Dev) -> list[str]:
    return sorted(proc.cmdline()[-1] for proc in dev.tree if "fireline" in proc.cmdline())


def http_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except OSError:
        return None


def test_without_slack_everything_but_the_bot_runs(
    start_dev: DevFactory, ports: Ports, data_dir: Path
) -> None:
    dev = start_dev()
    banner = dev.banner()

    assert dev.output[0].startswith(BANNER)
    bot_line = banner["Slack bot"]
    assert bot_line.startswith("not started")
    assert "SLACK_BOT_TOKEN" in bot_line and "SLACK_SIGNING_SECRET" in bot_line
    assert "SLACK_APP_TOKEN for Socket Mode" in bot_line  # Slack cannot reach localhost over HTTP
    assert banner["Temporal gRPC"].startswith(f"127.0.0.1:{ports.temporal}")
    assert fireline_children(dev) == ["codec-server", "worker"]
    programs = {Path(proc.cmdline()[0]).name for proc in dev.tree}
    assert {"temporal", "postgres"} <= programs, programs

    # The Temporal Web UI, decoding payloads through the codec server, which lets it in (CORS).
    for _ in deadline_loop(20, "the Temporal UI answered 200"):
        if http_status(f"http://127.0.0.1:{ports.ui}/") == 200:
            break
    codec = f"http://127.0.0.1:{ports.codec}"
    assert banner["Codec server"].startswith(codec)
    with urllib.request.urlopen(f"http://127.0.0.1:{ports.ui}/api/v1/settings") as response:
        assert json.load(response)["Codec"]["Endpoint"] == codec
    preflight = urllib.request.Request(
        f"{codec}/decode",
        method="OPTIONS",
        headers={"Origin": f"http://127.0.0.1:{ports.ui}", "Access-Control-Request-Method": "POST"},
    )
    with urllib.request.urlopen(preflight) as response:
        assert response.headers["Access-Control-Allow-Origin"] == f"http://127.0.0.1:{ports.ui}"

    # Fireline's search attributes, registered by the migrate step.
    address = f"127.0.0.1:{ports.temporal}"
    listed = subprocess.run(
        [temporal_cli(), "operator", "search-attribute", "list", "--address", address],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    names = {line.split()[0] for line in listed.splitlines() if line.strip()}
    assert set(ATTRIBUTES) <= names, listed

    # The embedded PostgreSQL, migrated; its password is in the env file, not on the screen.
    database_url = dev_files(data_dir)[0]["DATABASE_URL"]
    password = psycopg.conninfo.conninfo_to_dict(database_url)["password"]
    assert banner["Database"].startswith(f"postgresql://postgres:***@127.0.0.1:{ports.postgres}/")
    assert str(password) not in "\n".join(dev.output)
    with psycopg.connect(database_url, connect_timeout=5) as conn:
        tables = {
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        }
    assert {"schema_migrations", "incidents", "incident_people", "timeline_events"} <= tables

    assert dev.stop(signal.SIGINT) == 0, dev.stderr()
    dev.assert_nothing_left(ports)


def test_encryption_off_runs_no_codec_server_and_says_so(
    start_dev: DevFactory, ports: Ports, data_dir: Path
) -> None:
    dev = start_dev(FIRELINE_ENCRYPTION="off")
    banner = dev.banner()

    assert banner["Codec server"].startswith("not started")
    assert fireline_children(dev) == ["worker"]
    assert not (data_dir / "encryption-keys").exists()
    assert "FIRELINE_ENCRYPTION=off\n" in (data_dir / "env").read_text()
    for _ in deadline_loop(30, "the worker warned that payloads are unencrypted"):
        if "FIRELINE_ENCRYPTION=off: workflow payloads are stored" in dev.stderr():
            break
    assert dev.stop() == 0, dev.stderr()
    dev.assert_nothing_left(ports)


async def test_with_slack_the_bot_answers_slash_commands(
    start_dev: DevFactory, ports: Ports, slack: FakeSlack
) -> None:
    feed = seed_workspace(slack)
    dev = start_dev(
        SLACK_BOT_TOKEN=slack.bot_token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
    )
    banner = dev.banner()
    assert banner["Slack bot"] == f"http://localhost:{ports.bot}/slack/events"
    assert fireline_children(dev) == ["bot", "codec-server", "worker"]

    for _ in deadline_loop(30, "the bot answered /healthz"):
        assert dev.process.poll() is None, dev.stderr()
        if http_status(f"http://127.0.0.1:{ports.bot}/healthz") == 200:
            break

    requests = SlackRequests(
        f"http://127.0.0.1:{ports.bot}/slack/events", SIGNING_SECRET, fake=slack
    )
    response = await requests.slash_command("/incident", user_id=REPORTER, channel_id=feed)
    assert response.status == 200, response.text
    views = await eventually(lambda: slack.views(), timeout=10)
    assert [view["view"]["callback_id"] for view in views] == ["declare_incident"]

    assert dev.stop(signal.SIGTERM) == 0, dev.stderr()
    dev.assert_nothing_left(ports)


async def test_incidents_survive_a_restart(
    start_dev: DevFactory, ports: Ports, data_dir: Path
) -> None:
    address = f"127.0.0.1:{ports.temporal}"
    dev = start_dev()
    dev.banner()
    key = dev_files(data_dir)[1]
    client = await Client.connect(address, data_converter=dev_converter(data_dir))
    handle = await client.start_workflow(
        IncidentCounterWorkflow.run,
        CounterState(last_number=41),
        id="persist-check",
        task_queue=Settings.model_fields["temporal_task_queue"].default,
    )
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    run_id = handle.result_run_id
    assert dev.stop() == 0, dev.stderr()
    dev.assert_nothing_left(ports)
    assert (data_dir / "temporal.db").exists()

    again = start_dev()
    again.banner()
    assert dev_files(data_dir)[1] == key  # the key made on the first run, reused
    client = await Client.connect(address, data_converter=dev_converter(data_dir))
    handle = client.get_workflow_handle_for(IncidentCounterWorkflow.run, "persist-check")
    history = await handle.fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.input.payloads[0].metadata["encoding"] == ENCODING
    described = await handle.describe()
    assert described.run_id == run_id
    assert described.workflow_type == "IncidentCounter"
    assert described.status == WorkflowExecutionStatus.RUNNING
    # The restarted worker replays the stored history, input included.
    query = handle.query(IncidentCounterWorkflow.get_last_number)
    assert await asyncio.wait_for(query, timeout=30) == 41
    assert again.stop() == 0, again.stderr()
    again.assert_nothing_left(ports)


def test_a_dying_child_stops_the_whole_stack(start_dev: DevFactory, ports: Ports) -> None:
    dev = start_dev()
    dev.banner()
    worker = dev.child("worker")

    worker.kill()

    assert dev.wait_exit() != 0
    assert "worker exited with -9" in dev.stderr()
    dev.assert_nothing_left(ports)


def test_a_child_that_crashes_on_its_way_out_is_said_and_fails_the_stop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Stopping reports each child that did not exit 0 on SIGINT (an abort at teardown), so
    `fireline dev` does not look clean when it was not."""
    stack = DevStack(Settings(_env_file=None, fireline_data_dir=tmp_path))  # type: ignore[call-arg]
    child = "import signal, os; signal.signal(signal.SIGINT, lambda *a: os._exit({code}));"
    child += "print('ready', flush=True); signal.pause()"
    outputs = []
    for name, code in (("steady", 0), ("crashing", 134)):
        output = (tmp_path / f"{name}.out").open("wb")
        outputs.append(tmp_path / f"{name}.out")
        stack._spawn(name, [sys.executable, "-c", child.format(code=code)], {}, output=output)
    deadline = time.monotonic() + 10
    while not all("ready" in path.read_text() for path in outputs):  # its SIGINT handler is set
        assert time.monotonic() < deadline, "the children did not start"
        time.sleep(0.01)

    assert stack.stop() is False
    said = capsys.readouterr().err
    assert "fireline dev: crashing exited with 134" in said
    assert "steady exited" not in said
