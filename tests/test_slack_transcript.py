"""The channel transcript for the postmortem, read from the Slack fake by the real slack_sdk:
paginated, threads under their messages, names resolved, markup as plain text, Fireline's own
messages and Slack's notices left out, and a size bound."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from temporalio.testing import ActivityEnvironment

from activities import slack_transcript
from activities.slack_plain import plain_text
from activities.slack_transcript import SlackTranscriptActivities
from activities.tracking_types import TranscriptInput, UserNamesInput
from tests.fakes.slack import FakeSlack


def transcripts(fake: FakeSlack) -> SlackTranscriptActivities:
    client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url, retry_handlers=[])
    return SlackTranscriptActivities(client)


def test_plain_text() -> None:
    names = {"U1": "alice"}
    said = plain_text(
        "<@U1> see <https://g/x?a=1&amp;b=2|the graph> in <#C1|ops> &lt;now&gt; <!here>", names
    )
    assert said == "@alice see the graph (https://g/x?a=1&b=2) in #ops <now> @here"


async def test_transcript(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    slack.add_user("U1", "alice")
    slack.add_user("U2", "bob")
    slack.add_user("U3", "carol")
    channel = slack.add_channel("inc-1-db", members=["U1", "U2"])
    start = datetime.now(UTC)
    first = slack.add_message(channel, "db is slow <@U2>", user="U1")
    for n in range(250):  # more than a page of history
        slack.add_message(channel, f"reading {n}", user="U2")
    slack.add_message(channel, "on it", user="U2", thread_ts=first)
    slack.add_message(channel, "Status changed", user=slack.bot_user_id)
    slack.add_message(channel, "fixed", user="U1")
    input = TranscriptInput(channel_id=channel, oldest=start, user_ids=["U3", "U1"])
    got = await ActivityEnvironment().run(transcripts(slack).channel_transcript, input)

    texts = [(m.author, m.text, m.reply) for m in got.messages]
    assert texts[:3] == [
        ("alice", "db is slow @bob", False),
        ("bob", "on it", True),
        ("bob", "reading 0", False),
    ]
    assert texts[-1] == ("alice", "fixed", False) and len(texts) == 253
    assert got.names == {"U3": "carol", "U1": "alice"} and got.left_out == 0

    monkeypatch.setattr(slack_transcript, "MAX_CHARS", 500)
    bounded = await ActivityEnvironment().run(transcripts(slack).channel_transcript, input)
    assert 0 < len(bounded.messages) < 20 and bounded.left_out == 253 - len(bounded.messages)


async def test_user_names(slack: FakeSlack) -> None:
    """Names as the timeline gives them; the id for someone Slack does not know."""
    slack.add_user("U1", "alice")
    input = UserNamesInput(user_ids=["U1", "UGONE"])
    got = await ActivityEnvironment().run(transcripts(slack).user_names, input)
    assert got.names == {"U1": "alice", "UGONE": "UGONE"}
