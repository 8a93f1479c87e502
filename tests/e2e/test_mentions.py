"""@fireline in a channel: the manifest subscribes to app_mention, so the bot answers it (an
unanswered event is retried by Slack), in the mention's thread, with how to declare."""

from __future__ import annotations

from typing import Any

from temporalio.testing import WorkflowEnvironment

from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.stack import REPORTER, Stack, fireline_stack


def mention(stack: Stack, text: str, *, thread_ts: str | None = None) -> dict[str, Any]:
    """Post `text` as the reporter in the feed channel; returns the app_mention event for it."""
    ts = stack.fake.add_message(stack.feed, text, user=REPORTER, thread_ts=thread_ts)
    event = {
        "type": "app_mention",
        "user": REPORTER,
        "text": text,
        "ts": ts,
        "channel": stack.feed,
        "event_ts": ts,
    }
    return event if thread_ts is None else {**event, "thread_ts": thread_ts}


def bot_replies(stack: Stack) -> list[dict[str, Any]]:
    return [m for m in stack.fake.messages(stack.feed) if m["user"] == stack.fake.bot_user_id]


async def test_mention_is_answered_in_its_thread_with_how_to_declare(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url, run_worker=False) as stack:
        event = mention(stack, f"<@{slack.bot_user_id}> checkout is down <!channel> & <b>")
        response = await stack.slack.event(event)
        assert response.status == 200, response.text

        (reply,) = await eventually(lambda: bot_replies(stack))
        assert reply["thread_ts"] == event["ts"]
        text = reply["text"]
        assert text.startswith(f"<@{REPORTER}>")
        assert "`/incident`" in text and "*Declare incident*" in text
        assert "*Declare incident from message*" in text
        # The user's words are quoted, escaped: no @channel ping, no stray markup.
        assert "checkout is down &lt;!channel&gt; &amp; &lt;b&gt;" in text
        assert "<!channel>" not in text and f"<@{slack.bot_user_id}>" not in text


async def test_mention_inside_a_thread_is_answered_in_that_thread(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url, run_worker=False) as stack:
        parent = slack.add_message(stack.feed, "payments are failing", user=REPORTER)
        event = mention(stack, f"<@{slack.bot_user_id}>", thread_ts=parent)
        response = await stack.slack.event(event)
        assert response.status == 200, response.text

        (reply,) = await eventually(lambda: bot_replies(stack))
        assert reply["thread_ts"] == parent
        assert "you wrote" not in reply["text"]
