"""User text reaches Slack exactly as typed: it pings nobody, formats nothing, breaks nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from fireline.models import TEXT_MAX, TITLE_MAX, IncidentSnapshot
from fireline.render.text import escape
from tests.fakes.slack import FakeSlack
from tests.stack import REPORTER, Stack, fireline_stack

# A broadcast (`<!channel>`, `<!here>`); Slack's date token `<!date^...>` pings nobody.
PING = re.compile(r"<!(?!date\^)")

NASTY = "<!channel> <!here> <@U123> *bold* _it_ &<> 🔥 :fire: שלום عالم"
TITLE = f"Hi {NASTY}"
IMPACT = f"Customers see {NASTY}\nand a second line"
# Exactly the longest description the form accepts, special text at both ends and in between.
_HEAD = f"{NASTY}\n"
_TAIL = f"\n{NASTY} end"
DESCRIPTION = _HEAD + ("lorem <@U123> ipsum &amp; " * 200)[: TEXT_MAX - len(_HEAD) - len(_TAIL)]
DESCRIPTION += _TAIL
# The longest title, special text included.
LONG_TITLE = (NASTY + " ") * 2 + "x" * (TITLE_MAX - 2 * (len(NASTY) + 1))

SLACK_CHANNEL_NAME = re.compile(r"^[a-z0-9_-]{1,80}$")


def text_objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every Block Kit text object (plain_text or mrkdwn) anywhere in `value`."""
    if isinstance(value, dict):
        if value.get("type") in ("plain_text", "mrkdwn") and isinstance(value.get("text"), str):
            yield value
        for inner in value.values():
            yield from text_objects(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from text_objects(inner)


def plain_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [obj["text"] for obj in text_objects(blocks) if obj["type"] == "plain_text"]


def assert_safe(message: dict[str, Any], title: str) -> None:
    """No mrkdwn in the message carries a broadcast or a mention typed by the user, and the
    notification text has the title escaped."""
    for obj in text_objects(message["blocks"]):
        if obj["type"] == "mrkdwn":
            assert not PING.search(obj["text"]), obj
            assert "<@U123" not in obj["text"], obj
    text = message["text"]
    assert not PING.search(text) and "<@U123" not in text, text
    assert escape(title) in text, text


def messages(stack: Stack, incident: IncidentSnapshot) -> dict[str, dict[str, Any]]:
    """The pinned summary, the feed post and the reporter's DM."""
    assert incident.channel is not None
    (summary,) = [
        m for m in stack.fake.messages(incident.channel.id) if m["ts"] == incident.summary_ts
    ]
    (feed,) = [m for m in stack.fake.messages(stack.feed) if m["ts"] == incident.feed_ts]
    dm = stack.fake.dm_channel(REPORTER)
    assert dm is not None
    (reporter_dm,) = stack.fake.messages(dm)
    return {"summary": summary, "feed": feed, "reporter_dm": reporter_dm}


async def test_user_text_is_shown_as_typed_and_pings_nobody(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    assert len(DESCRIPTION) == TEXT_MAX
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        incident = await stack.declared(
            await stack.declare(
                title=TITLE, severity="SEV2", description=DESCRIPTION, impact=IMPACT
            )
        )
        assert incident.problems == []
        assert incident.declaration.title == TITLE
        assert incident.declaration.description == DESCRIPTION
        assert incident.declaration.impact == IMPACT
        posted = messages(stack, incident)
        assert incident.channel is not None
        channel = slack.channel_by_id(incident.channel.id)

    summary = plain_texts(posted["summary"]["blocks"])
    assert f"INC-{incident.number}: {TITLE}" in summary
    assert DESCRIPTION in summary
    assert IMPACT in summary

    feed = plain_texts(posted["feed"]["blocks"])
    assert f"INC-{incident.number}: {TITLE}" in feed
    assert IMPACT in feed

    assert TITLE in plain_texts(posted["reporter_dm"]["blocks"])

    for message in posted.values():
        assert_safe(message, TITLE)
        assert "&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt;" in message["text"]
        assert "&amp;&lt;&gt;" in message["text"]

    assert channel is not None
    assert SLACK_CHANNEL_NAME.match(channel["name"]), channel["name"]
    assert channel["name"].startswith(f"inc-{incident.number}-")
    assert channel["topic"] == f"SEV2 (major) · investigating · INC-{incident.number}: {TITLE}"


@pytest.mark.parametrize(
    "title",
    [
        pytest.param(LONG_TITLE, id="longest-title"),
        pytest.param("שלום عالم", id="rtl-only"),
        pytest.param("<!channel> &<> 🔥", id="no-letters-to-keep"),
    ],
)
async def test_title_fits_the_channel_name_and_topic(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str, title: str
) -> None:
    assert len(LONG_TITLE) == TITLE_MAX
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        incident = await stack.declared(await stack.declare(title=title, severity="SEV3"))
        assert incident.problems == []
        posted = messages(stack, incident)
        assert incident.channel is not None
        channel = slack.channel_by_id(incident.channel.id)
        topics = [call.args["topic"] for call in slack.calls("conversations.setTopic")]

    assert channel is not None
    assert SLACK_CHANNEL_NAME.match(channel["name"]), channel["name"]
    assert channel["name"].startswith(f"inc-{incident.number}")
    expected_topic = f"SEV3 (minor) · investigating · INC-{incident.number}: {title}"
    assert len(expected_topic) <= 250
    assert topics == [expected_topic]
    assert channel["topic"] == expected_topic

    # The whole title, as typed, in every message that names the incident.
    for name, message in posted.items():
        assert any(title in text for text in plain_texts(message["blocks"])), name
        assert_safe(message, title)
