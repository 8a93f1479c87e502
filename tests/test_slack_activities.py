"""Slack activities against the fake: a retry finds its own earlier effect (even past the first
page), and an incident channel is renamed after its incident's new number."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.slack import SlackActivities
from activities.types import CreateChannelInput, RenameChannelInput, UpsertMessageInput
from fireline.models import ChannelRef
from tests.fakes.slack import FakeSlack


def environment(attempt: int) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt)
    return env


def client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=fake.bot_token, base_url=fake.api_url, retry_handlers=[])


def activities(fake: FakeSlack) -> SlackActivities:
    return SlackActivities(client(fake))


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


async def test_the_dm_with_a_user_is_opened_once(slack: FakeSlack) -> None:
    slack.add_user("UREPORTER", "reporter")
    slack_activities = activities(slack)
    for incident in ("incident-1", "incident-2"):
        dm = UpsertMessageInput(
            incident_id=incident,
            step="reporter_dm",
            channel="UREPORTER",
            text="Your incident's channel",
            not_before=datetime.now(UTC),
        )
        await environment(1).run(slack_activities.upsert_message, dm)

    assert len(slack.calls("conversations.open")) == 1
    assert len(slack.messages(str(slack.dm_channel("UREPORTER")))) == 2


async def create_channel(fake: FakeSlack, number: int, title: str) -> ChannelRef:
    create = CreateChannelInput(
        incident_id="incident-1",
        number=number,
        title=title,
        private=False,
        not_before=datetime.now(UTC),
    )
    return await environment(1).run(activities(fake).create_incident_channel, create)


async def test_a_renamed_channel_takes_the_next_free_name_and_a_retry_keeps_it(
    slack: FakeSlack,
) -> None:
    slack.add_channel("inc-4-disk-full")  # someone else's
    channel = await create_channel(slack, 1, "Disk full")
    rename = RenameChannelInput(channel_id=channel.id, number=4, title="Disk full")

    renamed = await environment(1).run(activities(slack).rename_incident_channel, rename)
    retried = await environment(2).run(activities(slack).rename_incident_channel, rename)

    assert renamed == retried == channel.model_copy(update={"name": "inc-4-disk-full-2"})
    assert [call.args["name"] for call in slack.calls("conversations.rename")] == [
        "inc-4-disk-full",
        "inc-4-disk-full-2",
    ]


async def test_renaming_an_archived_channel_is_not_retried(slack: FakeSlack) -> None:
    channel = await create_channel(slack, 1, "Disk full")
    await client(slack).conversations_archive(channel=channel.id)
    rename = RenameChannelInput(channel_id=channel.id, number=4, title="Disk full")

    with pytest.raises(ApplicationError) as caught:
        await environment(1).run(activities(slack).rename_incident_channel, rename)
    assert caught.value.non_retryable
    assert caught.value.message == "the channel is archived"
