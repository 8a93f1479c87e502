"""The metrics port of a process (METRICS_PORT, BOT_METRICS_PORT): `/metrics` and `/healthz`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import web
from opentelemetry.instrumentation.utils import suppress_instrumentation
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

from fireline.settings import SettingsError
from fireline.telemetry.health import Health
from fireline.telemetry.sdk_metrics import scrape
from fireline.telemetry.setup import Telemetry


def metrics_app(telemetry: Telemetry, health: Health) -> web.Application:
    app = web.Application()

    async def session(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as sdk:
            app["sdk"] = sdk
            yield

    async def serve_metrics(_: web.Request) -> web.Response:
        with suppress_instrumentation():  # a scrape is not worth a trace
            sdk = await scrape(app["sdk"], telemetry.sdk_metrics_url)
        body = generate_latest(telemetry.registry).decode() + sdk
        return web.Response(body=body.encode(), headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})

    app.cleanup_ctx.append(session)
    app.router.add_get("/metrics", serve_metrics)
    app.router.add_get("/healthz", health.handle)
    return app


@asynccontextmanager
async def serving(
    app: web.Application, port: int, variable: str, host: str = "0.0.0.0"
) -> AsyncIterator[None]:
    """Serve `app` on `port` while the context is open; a port that cannot be had stops the
    process with one line naming `variable`."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as err:
            raise SettingsError(
                f"{variable}: cannot listen on port {port}: {err.strerror}"
            ) from None
        yield
    finally:
        await runner.cleanup()
