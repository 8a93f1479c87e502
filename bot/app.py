"""The Slack Bolt app: builds it, and runs it over HTTP or Socket Mode."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from aiohttp import web
from slack_bolt.app.async_server import AsyncSlackAppServer
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from temporalio.client import Client

from bot.declare import Declarer
from bot.listeners import actions, commands, shortcuts, views
from fireline.policy import SeverityPolicy, load_policy
from fireline.settings import Settings, SettingsError
from fireline.temporal import connect

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"


def build_app(settings: Settings, temporal: Client, policy: SeverityPolicy) -> AsyncApp:
    missing = settings.missing_slack()
    if missing:
        raise SettingsError(f"{', '.join(missing)}: required to run the Slack bot")
    assert settings.slack_bot_token is not None
    signing_secret = settings.slack_signing_secret
    app = AsyncApp(
        client=AsyncWebClient(
            token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_base
        ),
        signing_secret=signing_secret.get_secret_value() if signing_secret else "socket-mode",
        # In HTTP mode Bolt answers Slack as soon as ack() runs; the listener goes on after.
        process_before_response=False,
    )
    commands.register(app, policy)
    shortcuts.register(app, policy)
    views.register(app, policy, Declarer(temporal, settings, policy))
    actions.register(app)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.exception("listener failed for %s", body.get("type"), exc_info=error)

    return app


def http_app(app: AsyncApp) -> web.Application:
    web_app = AsyncSlackAppServer(port=0, path=EVENTS_PATH, app=app).web_app

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    web_app.router.add_get("/healthz", health)
    return web_app


async def run_bot(settings: Settings) -> None:
    """Serve until SIGINT or SIGTERM. Temporal is connected lazily, so the bot starts and answers
    Slack even while Temporal is unreachable (declarations then retry, see bot.declare)."""
    policy = load_policy(settings.severity_policy_file)
    temporal = await connect(settings, lazy=True)
    app = build_app(settings, temporal, policy)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    if settings.slack_app_token is not None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())
        # connect_async() retries forever while Slack is unreachable: a signal must still stop it.
        connecting = asyncio.ensure_future(handler.connect_async())  # type: ignore[no-untyped-call]
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if connecting.done():
                connecting.result()
                log.info("Slack bot connected in Socket Mode")
                await stopping
        finally:
            for task in (connecting, stopping):
                task.cancel()
            await asyncio.gather(connecting, stopping, return_exceptions=True)
            await handler.close_async()  # type: ignore[no-untyped-call]
        log.info("Slack bot stopped")
        return

    runner = web.AppRunner(http_app(app))
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", settings.port).start()
    log.info("Slack bot listening on http://0.0.0.0:%s%s", settings.port, EVENTS_PATH)
    await stop.wait()
    await runner.cleanup()
    log.info("Slack bot stopped")
