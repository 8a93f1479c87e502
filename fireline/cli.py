"""The `fireline` command: dev, worker, bot, migrate, codec-server."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import NoReturn

import typer

from fireline.policy import PolicyError
from fireline.settings import Settings, SettingsError, load_settings

app = typer.Typer(help="Fireline: Slack-first incident response on Temporal.", no_args_is_help=True)


def _settings() -> Settings:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        return load_settings()
    except SettingsError as err:
        _fail(err)


def _exit(code: int) -> NoReturn:
    """Exit without interpreter teardown once a Temporal client exists: its Rust threads can abort
    a finalizing interpreter (SIGABRT "PyGILState_Release", or SIGSEGV) after the work succeeded,
    in ~1 of 20 `fireline migrate` runs (temporalio/sdk-python#300)."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _fail(err: Exception) -> NoReturn:
    typer.echo(f"fireline: {err}", err=True)
    raise typer.Exit(code=2)


@app.command()
def migrate() -> None:
    """Apply database migrations and register Fireline's Temporal search attributes."""
    from fireline.setup import migrate as run_migrate

    settings = _settings()
    try:
        done = asyncio.run(run_migrate(settings))
    except SettingsError as err:
        _fail(err)
    typer.echo("\n".join(done) if done else "Already up to date.")
    _exit(0)


@app.command()
def worker() -> None:
    """Run the Temporal worker (workflows and activities)."""
    from worker import run_worker

    settings = _settings()
    try:
        asyncio.run(run_worker(settings))
    except SettingsError as err:
        _fail(err)


@app.command()
def bot() -> None:
    """Run the Slack bot: Socket Mode with SLACK_APP_TOKEN, else HTTP on PORT at /slack/events."""
    from bot.app import run_bot

    settings = _settings()
    try:
        asyncio.run(run_bot(settings))
    except (SettingsError, PolicyError) as err:
        _fail(err)


@app.command("codec-server")
def codec_server() -> None:
    """Decode payloads for the Temporal UI and CLI (Temporal's remote codec protocol)."""
    from fireline.codec_server import serve

    settings = _settings()
    try:
        asyncio.run(serve(settings))
    except SettingsError as err:
        _fail(err)


@app.command()
def dev() -> None:
    """Run the whole stack locally: Temporal dev server, PostgreSQL, worker and bot."""
    from fireline.db.localpg import LocalPostgresError
    from fireline.dev import DevStack

    settings = _settings()
    try:
        code = DevStack(settings).run()
    except (SettingsError, PolicyError, LocalPostgresError) as err:
        _fail(err)
    _exit(code)
