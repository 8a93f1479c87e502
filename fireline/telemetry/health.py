"""`GET /healthz`: whether this process can do its job, answered within a second.

Each check is a probe of something the process needs (Temporal, Slack's auth, the worker's
pollers), bounded by PROBE_TIMEOUT and remembered for a little while, so a health checker polling
every few seconds neither waits on an unreachable service nor adds load to a reachable one, and
Slack's requests, served by the same event loop, never wait for it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from aiohttp import web
from opentelemetry.instrumentation.utils import suppress_instrumentation
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest, GetSystemInfoRequest
from temporalio.client import Client

PROBE_TIMEOUT = 0.8
# A poller the server last saw longer ago than this is not polling any more.
POLLER_STALE = timedelta(minutes=2)

Probe = Callable[[], Awaitable[None]]


class Unhealthy(Exception):
    """A probe's answer: what is wrong, in words safe to show anyone who can reach the port."""


@dataclass
class Check:
    name: str
    probe: Probe
    # How long an answer stands before the next request probes again.
    fresh_for: float
    _answer: str | None = field(default=None, init=False)
    _at: float = field(default=float("-inf"), init=False)
    _running: asyncio.Task[str] | None = field(default=None, init=False)

    async def state(self) -> str:
        """The latest answer: "ok", or what is wrong."""
        if self._answer is not None and time.monotonic() - self._at < self.fresh_for:
            return self._answer
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._probe())
        try:
            # Shielded: a health request that gives up leaves the probe to finish for the next.
            async with asyncio.timeout(PROBE_TIMEOUT):
                return await asyncio.shield(self._running)
        except TimeoutError:
            return f"no answer within {PROBE_TIMEOUT} s"

    async def _probe(self) -> str:
        try:
            with suppress_instrumentation():  # health probes are not worth a trace each
                await self.probe()
            answer = "ok"
        except Unhealthy as err:
            answer = str(err)
        # Whatever a probe meets (a refused connection, a closed client) means unhealthy, and a
        # health endpoint must answer rather than fail with it.
        except Exception as err:
            answer = type(err).__name__
        self._answer, self._at = answer, time.monotonic()
        return answer


class Health:
    def __init__(self, checks: list[Check]) -> None:
        self._checks = checks

    async def report(self) -> tuple[bool, dict[str, str]]:
        states = await asyncio.gather(*(check.state() for check in self._checks))
        named = {check.name: state for check, state in zip(self._checks, states, strict=True)}
        return all(state == "ok" for state in states), named

    async def handle(self, _: web.Request) -> web.Response:
        ok, checks = await self.report()
        return web.json_response({"ok": ok, "checks": checks}, status=200 if ok else 503)


def temporal_check(client: Client) -> Check:
    async def probe() -> None:
        await client.workflow_service.get_system_info(
            GetSystemInfoRequest(), retry=False, timeout=timedelta(seconds=PROBE_TIMEOUT)
        )

    return Check("temporal", probe, fresh_for=2.0)


def slack_auth_check(slack: AsyncWebClient) -> Check:
    async def probe() -> None:
        try:
            await slack.auth_test()
        except SlackApiError as err:
            raise Unhealthy(str(err.response.get("error") or err.response.status_code)) from None

    # auth.test is rate limited like any method: a few calls a minute are plenty.
    return Check("slack_auth", probe, fresh_for=30.0)


def pollers_check(client: Client, task_queue: str, running: Callable[[], bool]) -> Check:
    """The worker is healthy while it runs and the server sees it polling for workflow and
    activity tasks."""

    async def probe() -> None:
        if not running():
            raise Unhealthy("worker not running")
        for kind, name in (
            (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, "workflow"),
            (TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY, "activity"),
        ):
            described = await client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=client.namespace,
                    task_queue=TaskQueue(name=task_queue),
                    task_queue_type=kind,
                ),
                retry=False,
                timeout=timedelta(seconds=PROBE_TIMEOUT),
            )
            now = time.time()
            if not any(
                poller.identity == client.identity
                and now - poller.last_access_time.ToSeconds() < POLLER_STALE.total_seconds()
                for poller in described.pollers
            ):
                raise Unhealthy(f"not polling for {name} tasks")

    return Check("pollers", probe, fresh_for=5.0)
