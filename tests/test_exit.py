"""`fireline worker` and `fireline bot` end as `fireline dev` ends them, with SIGINT: exit 0 and the
last log line written, never "Fatal Python error"; and a failure still exits non-zero.

Why this can fail: the Temporal SDK completes each awaited call on one of its Rust threads, which
holds the GIL, calls loop.call_soon_threadsafe(), lets the GIL go inside it and then needs it back.
If the interpreter tears down in between, that thread aborts the process (see `_exit` in
fireline/cli.py). A plain stop opens that window for ~1 ms. Here a `sitecustomize` on each child's
PYTHONPATH keeps every such thread inside call_soon_threadsafe (taking the GIL back every
millisecond) for the rest of the test, so a command that ends with interpreter teardown aborts on
every run; passing means it left through `_exit`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from fireline.devstack.localpg import free_port
from tests.fakes.slack import FakeSlack
from tests.fixtures.temporal import TEST_ENCRYPTION_KEYS
from tests.helpers import eventually, worker_polling
from tests.slack_requests import SlackRequests
from tests.stack import REPORTER, SIGNING_SECRET, form_values, seed_workspace

FATAL = "Fatal Python error"
HELD = "sdk-thread-held"

HOLD_SDK_THREADS = f'''
import asyncio.base_events
import os
import threading
import time

_call_soon_threadsafe = asyncio.base_events.BaseEventLoop.call_soon_threadsafe


def _sdk_thread():
    # The SDK's tokio threads, by the name they carry; Python's own threads (executors) go free.
    try:
        with open(f"/proc/self/task/{{threading.get_native_id()}}/comm") as comm:
            return comm.read().startswith("tokio")
    except OSError:
        return False


def call_soon_threadsafe(self, callback, *args, context=None):
    held = _sdk_thread()
    if held:
        os.write(2, b"{HELD}\\n")
    handle = _call_soon_threadsafe(self, callback, *args, context=context)
    if held:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            time.sleep(0.001)
    return handle


asyncio.base_events.BaseEventLoop.call_soon_threadsafe = call_soon_threadsafe
'''


class Command:
    """`python -m fireline <name>` with the SDK threads held; stdout and stderr in one file."""

    def __init__(self, name: str, env: dict[str, str], tmp_path: Path) -> None:
        hold = tmp_path / "hold"
        hold.mkdir(exist_ok=True)
        (hold / "sitecustomize.py").write_text(HOLD_SDK_THREADS)
        self.log = tmp_path / f"{name}.log"
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "fireline", name],
                env={
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "HOME": os.environ.get("HOME", "/"),
                    "PYTHONPATH": str(hold),
                    "FIRELINE_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEYS,
                    "METRICS_PORT": str(free_port()),
                    "BOT_METRICS_PORT": str(free_port()),
                    **env,
                },
                cwd=tmp_path,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    async def wait_for(self, text: str, timeout: float = 30) -> None:
        def seen() -> bool:
            assert self.process.poll() is None, f"exited early:\n{self.output()}"
            return text in self.output()

        await eventually(seen, timeout=timeout)

    async def exit_code(self, timeout: float = 30) -> int:
        await eventually(lambda: self.process.poll() is not None, timeout=timeout)
        assert self.process.returncode is not None
        return self.process.returncode

    async def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGINT)
        return await self.exit_code(), self.output()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def commands(tmp_path: Path) -> Any:
    started: list[Command] = []

    def start(name: str, **env: str) -> Command:
        command = Command(name, env, tmp_path)
        started.append(command)
        return command

    yield start
    for command in started:
        command.kill()


def temporal_env(dev_server: WorkflowEnvironment) -> dict[str, str]:
    return {
        "TEMPORAL_ADDRESS": dev_server.client.service_client.config.target_host,
        "TEMPORAL_TASK_QUEUE": f"exit-{uuid.uuid4().hex[:8]}",
    }


def last_line(output: str) -> str:
    """The command's own last line (a held SDK thread may write its marker after it)."""
    return [line for line in output.splitlines() if line != HELD][-1]


async def test_the_worker_stops_cleanly(
    commands: Any, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    env = temporal_env(dev_server)
    worker = commands("worker", DATABASE_URL=database_url, **env)
    await eventually(
        lambda: worker_polling(dev_server.client, env["TEMPORAL_TASK_QUEUE"], worker.process.pid),
        timeout=30,
    )

    code, output = await worker.stop()

    assert code == 0, output
    assert FATAL not in output
    # Its shutdown completed SDK calls on SDK threads, which were still held at the exit.
    assert HELD in output
    assert last_line(output).endswith("worker INFO Worker stopped"), output


async def test_the_bot_stops_cleanly_while_declarations_retry(
    commands: Any, slack: FakeSlack
) -> None:
    """Temporal unreachable: each declaration attempt is an SDK call that fails on an SDK thread."""
    feed = seed_workspace(slack)
    port = free_port()
    bot = commands(
        "bot",
        TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",
        SLACK_BOT_TOKEN=slack.bot_token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        PORT=str(port),
    )
    await bot.wait_for("Slack bot listening")
    requests = SlackRequests(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, fake=slack)
    await requests.slash_command("/incident", user_id=REPORTER, channel_id=feed)
    views = await eventually(lambda: slack.views(), timeout=10)
    response = await requests.view_submission(
        views[0]["view"], user_id=REPORTER, values=form_values()
    )
    assert response.status == 200, response.text
    await bot.wait_for("will retry")
    await bot.wait_for(HELD)

    code, output = await bot.stop()

    assert code == 0, output
    assert FATAL not in output
    assert last_line(output).endswith("bot.app INFO Slack bot stopped"), output


@pytest.mark.parametrize(
    ("case", "expected_code", "expected_text"),
    [
        # The worker connects to Temporal before it reads DATABASE_URL.
        ("no DATABASE_URL", 2, "fireline: DATABASE_URL: required"),
        ("Temporal refuses connections", 1, "RuntimeError: Failed client connect"),
    ],
)
async def test_a_failing_worker_exits_non_zero(
    commands: Any,
    dev_server: WorkflowEnvironment,
    case: str,
    expected_code: int,
    expected_text: str,
) -> None:
    env = temporal_env(dev_server)
    if case == "Temporal refuses connections":
        env["TEMPORAL_ADDRESS"] = f"127.0.0.1:{free_port()}"
    worker = commands("worker", **env)

    code = await worker.exit_code()

    output = worker.output()
    assert code == expected_code, output
    assert expected_text in output
    assert FATAL not in output
    assert HELD in output
