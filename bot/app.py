"""The Slack Bolt app: builds it, and runs it over HTTP or Socket Mode."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from temporalio.client import Client

from bot.authorize import (
    TOKEN_REFUSED_MESSAGE,
    BotTokenAuthorize,
    SlackUnreachable,
    unreachable_response,
)
from bot.http_endpoint import EVENTS_PATH, http_app
from bot.incident_context import incident_middleware
from bot.incident_lookup import IncidentLookup
from bot.listeners import actions, commands, events, shortcuts, views
from bot.pending import PendingDeclarations, pending_declarations
from bot.refusal import Refused, answer_refusal
from bot.subcommands import Services
from fireline.integrations import integrations
from fireline.policy import SeverityPolicy, load_policy
from fireline.settings import Settings, SettingsError
from fireline.telemetry.bolt import ObservedApp
from fireline.telemetry.health import Health, slack_auth_check, temporal_check
from fireline.telemetry.server import metrics_app, serving
from fireline.telemetry.setup import Telemetry
from fireline.telemetry.slack_api import ObservedWebClient
from fireline.temporal import connect

log = logging.getLogger(__name__)


def slack_client(settings: Settings) -> AsyncWebClient:
    """The bot's Web API client; raises SettingsError when the bot cannot run."""
    missing = settings.missing_slack()
    if missing:
        raise SettingsError(f"{', '.join(missing)}: required to run the Slack bot")
    assert settings.slack_bot_token is not None
    return ObservedWebClient(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_base
    )


def build_app(
    settings: Settings,
    temporal: Client,
    policy: SeverityPolicy,
    slack: AsyncWebClient,
    pending: PendingDeclarations,
) -> AsyncApp:
    signing_secret = settings.slack_signing_secret
    app = ObservedApp(
        # Without a token of its own: each request's client gets it from the authorize result.
        client=AsyncWebClient(base_url=settings.slack_api_base),
        authorize=BotTokenAuthorize(slack),
        user_facing_authorize_error_message=TOKEN_REFUSED_MESSAGE,
        signing_secret=signing_secret.get_secret_value() if signing_secret else "socket-mode",
        # In HTTP mode Bolt answers Slack as soon as ack() runs; the listener goes on after.
        process_before_response=False,
    )
    incidents = IncidentLookup(temporal)
    resolve_incident = incident_middleware(incidents)
    services = Services(temporal, policy, settings.temporal_task_queue)
    commands.register(app, services, incidents)
    shortcuts.register(app, policy)
    views.register(app, policy, pending, temporal, resolve_incident)
    actions.register(app, policy, temporal, resolve_incident)
    events.register(app)

    @app.error
    async def on_error(
        error: Exception, body: dict[str, Any], respond: AsyncRespond
    ) -> BoltResponse | None:
        if isinstance(error, Refused):
            return await answer_refusal(error, body, respond)
        if isinstance(error, SlackUnreachable):
            log.warning("answered %s with try again: %s", body.get("type") or "command", error)
            return unreachable_response(body)
        log.exception("listener failed for %s", body.get("type"), exc_info=error)
        return None

    return app


async def run_bot(settings: Settings, telemetry: Telemetry) -> None:
    """Serve until SIGINT or SIGTERM. Temporal is connected lazily, so the bot starts and answers
    Slack even while Temporal is unreachable (declarations then retry, see bot.pending).
    `/metrics` and `/healthz` on BOT_METRICS_PORT meanwhile."""
    policy = load_policy(settings.severity_policy_file)
    integrations(settings)  # a half-set integration stops the bot before it starts
    slack = slack_client(settings)
    temporal = await connect(settings, lazy=True, telemetry=telemetry)
    health = bot_health(temporal, slack)
    async with (
        pending_declarations(settings, temporal, policy, slack) as pending,
        serving(metrics_app(telemetry, health), settings.bot_metrics_port, "BOT_METRICS_PORT"),
    ):
        await _serve(build_app(settings, temporal, policy, slack, pending), settings, health)
    log.info("Slack bot stopped")


def bot_health(temporal: Client, slack: AsyncWebClient) -> Health:
    """The bot is healthy when it can reach Temporal and Slack accepts its token."""
    return Health([temporal_check(temporal), slack_auth_check(slack)])


async def _serve(app: AsyncApp, settings: Settings, health: Health) -> None:
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
        return

    assert settings.slack_signing_secret is not None  # slack_client refused to run without it
    runner = web.AppRunner(http_app(app, settings.slack_signing_secret.get_secret_value(), health))
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", settings.port).start()
    log.info("Slack bot listening on http://0.0.0.0:%s%s", settings.port, EVENTS_PATH)
    await stop.wait()
    await runner.cleanup()
