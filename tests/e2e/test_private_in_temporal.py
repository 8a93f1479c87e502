"""A private incident leaves nothing readable in Temporal: its title, description and impact exist
there only as ciphertext, which the codec server opens for the people allowed to read it. (What the
summary and details say is tested in test_operator_view.)"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from temporalio.testing import WorkflowEnvironment

from fireline.codec_server import build_codec_app
from fireline.devstack.dev import temporal_cli
from fireline.encryption import EncryptionCodec, Keyring
from tests.fakes.slack import FakeSlack
from tests.fixtures.temporal import TEST_ENCRYPTION_KEYS
from tests.helpers import eventually
from tests.history import ran_locally
from tests.stack import COMMANDER, fireline_stack

# Words that appear nowhere else, one per field the reporter fills in.
MARKERS = ("quokkalantern", "zebrafinchmoss", "marmotsextant")
TITLE, DESCRIPTION, IMPACT = (f"Payroll {MARKERS[0]} exposed", MARKERS[1], MARKERS[2])


def texts(value: Any) -> Iterator[str]:
    """Every string in the CLI's JSON, and what each base64 string decodes to (payload `data`
    and metadata), recursively, so a marker hiding in an encoded payload is still found."""
    if isinstance(value, dict):
        for item in value.values():
            yield from texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts(item)
    elif isinstance(value, str):
        yield value
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            return
        yield decoded
        with suppress(ValueError):
            yield from texts(json.loads(decoded))


def markers_in(output: str) -> set[str]:
    found = set(texts(json.loads(output))) | {output}
    return {marker for marker in MARKERS if any(marker in text for text in found)}


async def temporal(env: WorkflowEnvironment, home: Path, *args: str) -> str:
    """The `temporal` CLI with JSON output and no codec unless `args` name one."""
    address = env.client.service_client.config.target_host
    process = await asyncio.create_subprocess_exec(
        temporal_cli(),
        *args,
        "--address",
        address,
        "-o",
        "json",
        # A clean home: no profile or environment variable may bring a codec along.
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    return stdout.decode()


@asynccontextmanager
async def codec_endpoint() -> AsyncIterator[str]:
    codec = EncryptionCodec(Keyring.parse(TEST_ENCRYPTION_KEYS))
    runner = web.AppRunner(build_codec_app(codec, origins=[], token=None))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_a_private_incident_is_ciphertext_in_temporal(
    slack: FakeSlack,
    dev_server: WorkflowEnvironment,
    database_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        workflow_id = await stack.declare(
            title=TITLE, description=DESCRIPTION, impact=IMPACT, commander=COMMANDER, private=True
        )
        incident = await stack.declared(workflow_id)
        assert incident.channel is not None
        # A change: its summary update runs as a local activity, whose marker is checked too.
        await stack.command("status identified", incident.channel.id)

        async def summary_updated() -> bool:
            history = await stack.handle(workflow_id).fetch_history()
            return any(ran_locally(event) for event in history.events)

        await eventually(summary_updated)

    history = await temporal(dev_server, tmp_path, "workflow", "show", "-w", workflow_id)
    described = await temporal(dev_server, tmp_path, "workflow", "describe", "-w", workflow_id)

    async def listed() -> str | None:
        query = f"WorkflowId = '{workflow_id}'"
        output = await temporal(dev_server, tmp_path, "workflow", "list", "--query", query)
        return output if workflow_id in output else None

    for output in (history, described, await eventually(listed)):
        assert markers_in(output) == set()
    assert not [marker for marker in MARKERS if marker in caplog.text]

    # Encrypted, not deleted: through the codec server the same history reads in full.
    async with codec_endpoint() as endpoint:
        show = ["workflow", "show", "-w", workflow_id, "--codec-endpoint", endpoint]
        decoded = await temporal(dev_server, tmp_path, *show)
    assert markers_in(decoded) == set(MARKERS)
