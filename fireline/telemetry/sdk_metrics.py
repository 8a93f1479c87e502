"""The Temporal SDK's own metrics (pollers, task latencies, failures), from its runtime's
Prometheus endpoint. That endpoint is a server of the SDK's, so it listens on a loopback port of
its own and the process's `/metrics` relays it beside Fireline's metrics (telemetry/server.py)."""

from __future__ import annotations

import aiohttp
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from fireline.devstack.localpg import free_port
from fireline.telemetry.workflow_metrics import REMINDER_LAG

# A scrape waits this long at most for the SDK's part; without it the rest is still served.
SDK_SCRAPE_TIMEOUT = aiohttp.ClientTimeout(total=2)


def temporal_runtime() -> tuple[Runtime, str]:
    """A Temporal runtime exporting to Prometheus on loopback; returns it and its metrics URL."""
    address = f"127.0.0.1:{free_port()}"
    runtime = Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(
                bind_address=address,
                durations_as_seconds=True,
                # A reminder late by seconds is fine, by an hour is not: buckets spanning both.
                histogram_bucket_overrides={
                    REMINDER_LAG: [1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600]
                },
            )
        )
    )
    return runtime, f"http://{address}/metrics"


async def scrape(session: aiohttp.ClientSession, url: str) -> str:
    """The SDK's metrics in Prometheus text; a comment saying why when they cannot be read."""
    try:
        async with session.get(url, timeout=SDK_SCRAPE_TIMEOUT) as response:
            response.raise_for_status()
            return await response.text()
    except (aiohttp.ClientError, TimeoutError) as err:
        return f"# Temporal SDK metrics unavailable: {type(err).__name__}\n"
