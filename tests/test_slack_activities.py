"""A retried Slack activity finds its own earlier effect even when it is not on the first page."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from slack_sdk.web.async_client import AsyncWebClient
from temporalio.testing import ActivityEnvironment

from activities.slack import SlackActivities
from activities.types import CreateChannelInput, UpsertMessageInput
from tests.fakes.slack import FakeSlack


def environment(attempt: int) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt)
    return env


def activities(fake: FakeSlack) -> SlackActivities:
    client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url, retry_handlers=[])
    return SlackActivities(client)


async def test_a_retried_create_adopts_its_channel_past_the_first_page(slack: FakeSlack) -> None:
    for i in range(1000):  # conversations.list pages hold at most 1000 channels
        slack.add_channel(f"other-{i}")
    create = CreateChannelInput(
        incident_id="incident-1",
        number=7,
        title="Disk full",
        private=False,
        not_before=datetime.now(UTC),
    )
    first = await environment(1).run(activities(slack).create_incident_channel, create)
    retried = await environment(2).run(activities(slack).create_incident_channel, create)

    assert retried == first
    assert [c["name"] for c in slack.channels() if c["name"].startswith("inc-")] == [first.name]
    assert [call.args.get("cursor") for call in slack.calls("conversations.list")][-1]


async def test_a_retried_post_updates_its_message_past_the_first_page(slack: FakeSlack) -> None:
    channel = slack.add_channel("inc-7-disk-full")
    message = UpsertMessageInput(
        incident_id="incident-1",
        step="summary",
        channel=channel,
        text="INC-7",
        not_before=datetime.now(UTC),
    )
    posted = await environment(1).run(activities(slack).upsert_message, message)
    for i in range(250):  # newer than ours: history pages of 200 put ours on the second
        slack.add_message(channel, f"chatter {i}", user="U0HUMAN")
    retried = await environment(2).run(activities(slack).upsert_message, message)

    assert retried.ts == posted.ts
    assert len(slack.calls("chat.postMessage")) == 1
    assert len(slack.calls("chat.update")) == 1
    assert len(slack.calls("conversations.history")) == 2
