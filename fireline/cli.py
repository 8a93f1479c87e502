"""The `fireline` command: dev, worker, bot, migrate, codec-server."""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import sys
import traceback
from collections.abc import Callable
from typing import NoReturn

import typer

from fireline.policy import PolicyError
from fireline.settings import Settings, SettingsError, load_settings

app = typer.Typer(help="Fireline: Slack-first incident response on Temporal.", no_args_is_help=True)


def _settings() -> Settings:
    from fireline.telemetry.logs import TEXT_FORMAT, configure_logging

    logging.basicConfig(level=logging.INFO, format=TEXT_FORMAT)
    try:
        settings = load_settings()
    except SettingsError as err:
        _fail(err)
    configure_logging(settings)
    return settings


def _exit(code: int) -> NoReturn:
    """Leave with `code` and no interpreter teardown; every command ends here.

    The Temporal SDK completes each awaited call on one of its Rust (tokio) threads, which it gives
    no way to join: the thread takes the GIL, calls the loop's call_soon_threadsafe(), lets the GIL
    go while that writes to the loop's wakeup socket, and needs it back to return
    (pyo3-async-runtimes). The write wakes the loop, so the main thread can reach teardown first:
    after a worker's last call, finalize_shutdown(), it gets there in ~1 ms. On Python < 3.14 a
    thread asking for the GIL during teardown is ended by pthread_exit, whose unwinding releases
    pyo3's GIL guard: "Fatal Python error: PyGILState_Release: thread state ... must be current
    when releasing", SIGABRT, in ~3% of worker stops and ~5% of `fireline migrate` runs
    (temporalio/sdk-python#300). So each command first shuts its own work down in order
    (asyncio.run returns once the worker, pools and servers are closed), then comes here: atexit
    handlers (logging.shutdown) run, stdio is flushed, and nothing is finalized under those threads.
    """
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _run(command: Callable[[], int | None]) -> NoReturn:
    """Run a command's body and leave through `_exit`, whatever it ends with: its code (None is 0),
    2 and one line for a configuration error, 130 on Ctrl-C before its own handlers are in place,
    1 and the traceback for anything else."""
    try:
        code = command() or 0
    except (SettingsError, PolicyError) as err:
        _fail(err)
    except KeyboardInterrupt:
        code = 130
    except Exception:
        traceback.print_exc()
        code = 1
    _exit(code)


def _fail(err: Exception) -> NoReturn:
    typer.echo(f"fireline: {err}", err=True)
    _exit(2)


@app.command()
def migrate() -> None:
    """Apply database migrations and register Fireline's Temporal search attributes."""
    from fireline.setup import migrate as run_migrate

    settings = _settings()

    def body() -> None:
        done = asyncio.run(run_migrate(settings))
        typer.echo("\n".join(done) if done else "Already up to date.")

    _run(body)


@app.command()
def worker() -> None:
    """Run the Temporal worker (workflows and activities)."""
    from fireline.telemetry.setup import start
    from worker import run_worker

    settings = _settings()
    _run(lambda: asyncio.run(run_worker(settings, start("fireline-worker"))))


@app.command()
def bot() -> None:
    """Run the Slack bot: Socket Mode with SLACK_APP_TOKEN, else HTTP on PORT at /slack/events."""
    from bot.app import run_bot
    from fireline.telemetry.setup import start

    settings = _settings()
    _run(lambda: asyncio.run(run_bot(settings, start("fireline-bot"))))


@app.command("codec-server")
def codec_server() -> None:
    """Decode payloads for the Temporal UI and CLI (Temporal's remote codec protocol)."""
    from fireline.codec_server import serve

    settings = _settings()
    _run(lambda: asyncio.run(serve(settings)))


@app.command()
def dev() -> None:
    """Run the whole stack locally: Temporal dev server, PostgreSQL, worker and bot."""
    from fireline.devstack.dev import DevStack

    settings = _settings()
    _run(lambda: DevStack(settings).run())
