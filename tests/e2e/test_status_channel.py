"""The status channel end to end on the dev server with the Slack fake: opened once for a level
that wants it (at declaration or promotion), linked from the incident channel, the summary and
the feed post, fed the updates and the resolution, never for a private incident."""

from __future__ import annotations

import json
from typing import Any

from temporalio.testing import WorkflowEnvironment

from fireline.models import IncidentSnapshot
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.incident_changes import said
from tests.stack import REPORTER, Stack, cli_signal, fireline_stack


def status_channels(slack: FakeSlack, incident: IncidentSnapshot) -> list[dict[str, Any]]:
    return [c for c in slack.channels() if c["name"].startswith(f"inc-{incident.number}-status")]


def posted(stack: Stack, channel: str) -> list[str]:
    return [
        json.dumps(message.get("blocks"))
        for message in stack.fake.messages(channel)
        if message["user"] == stack.fake.bot_user_id
    ]


async def test_a_sev1_status_channel_is_linked_and_fed(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        incident = await stack.declared_in_channel(title="Checkout down", severity="SEV1")
        assert incident.channel is not None and incident.status_channel is not None
        (channel,) = status_channels(slack, incident)
        assert channel["name"] == f"inc-{incident.number}-status"
        assert channel["id"] == incident.status_channel.id and not channel["is_private"]
        link = f"<#{channel['id']}>"
        await eventually(lambda: said(stack, incident, link))
        summary = next(
            m for m in slack.messages(incident.channel.id) if m["ts"] == incident.summary_ts
        )
        assert link in json.dumps(summary["blocks"])
        feed = next(m for m in slack.messages(stack.feed) if m["ts"] == incident.feed_ts)
        assert link in json.dumps(feed["blocks"])

        await cli_signal(
            stack,
            incident.incident_id,
            "post_update",
            {"text": "Orders flow again", "by": REPORTER},
        )
        await stack.command("status resolved", incident.channel.id)
        lines = await eventually(
            lambda: posted(stack, channel["id"])[2:] and posted(stack, channel["id"])
        )
    intro, update, resolution = lines
    assert "Updates on *" in intro
    assert "Orders flow again" in update
    assert "is now resolved" in resolution
    assert len(status_channels(slack, incident)) == 1


async def test_promotion_opens_it_once_and_private_incidents_never_get_one(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        minor = await stack.declared_in_channel(severity="SEV3")
        secret = await stack.declared_in_channel(title="Breach", severity="SEV1", private=True)
        assert minor.channel is not None and secret.channel is not None
        assert status_channels(slack, minor) == []
        for severity in ("SEV1", "SEV3", "SEV1"):
            await stack.command(f"severity {severity}", minor.channel.id)
        await eventually(lambda: len(said(stack, minor, "promoted")) == 2)
        await eventually(lambda: said(stack, minor, "Stakeholders follow"))
        await stack.command("status mitigated", secret.channel.id)
        await eventually(lambda: said(stack, secret, "mitigated"))
    assert len(status_channels(slack, minor)) == 1
    assert status_channels(slack, secret) == []
