"""Reading a long channel resumes after a Slack 429 instead of starting over: channel_transcript
heartbeats what it has read, and Temporal hands that to the next attempt (on the real dev server,
with the activity's own options), which goes on from the page that failed."""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from temporalio import workflow
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from activities import transcript_progress
from activities.deadline import AttemptDeadlineInterceptor
from activities.slack_transcript import SlackTranscriptActivities
from activities.tracking_types import Transcript, TranscriptInput
from tests.fakes.slack import FakeSlack
from tests.test_slack_transcript import transcripts
from workflows.activity_options import TRANSCRIPT

READS = ("conversations.history", "conversations.replies")


@workflow.defn(sandboxed=False)
class ReadChannel:
    @workflow.run
    async def run(self, input: TranscriptInput) -> Transcript:
        return await workflow.execute_activity_method(
            SlackTranscriptActivities.channel_transcript, input, **TRANSCRIPT
        )


def long_channel(slack: FakeSlack) -> tuple[TranscriptInput, list[str]]:
    """700 messages (four pages of history), a thread of 450 replies (three pages) on the 100th
    and a reply under every 50th; returns the input and the texts in transcript order."""
    slack.add_user("U1", "alice")
    slack.add_user("U2", "bob")
    channel = slack.add_channel("inc-1-long", members=["U1", "U2"])
    start = datetime.now(UTC)
    expected: list[str] = []
    for n in range(700):
        ts = slack.add_message(channel, f"message {n}", user="U1")
        expected.append(f"message {n}")
        replies = 450 if n == 100 else (1 if n % 50 == 0 else 0)
        for r in range(replies):
            slack.add_message(channel, f"reply {r} to {n}", user="U2", thread_ts=ts)
            expected.append(f"reply {r} to {n}")
    return TranscriptInput(channel_id=channel, oldest=start), expected


def rate_limit_once(slack: FakeSlack, method: str, nth: int) -> None:
    """Slack answers 429 to the `nth` call of `method`, once."""
    calls = itertools.count(1)
    slack.faults.add(
        method, kind="ratelimited", retry_after=1, times=1, when=lambda _: next(calls) == nth
    )


def page(call: Any) -> tuple[str, str, str]:
    return call.method, str(call.args.get("ts", "")), str(call.args.get("cursor", ""))


async def test_a_429_mid_channel_resumes_from_the_page_that_failed(
    slack: FakeSlack, dev_server: WorkflowEnvironment
) -> None:
    input, expected = long_channel(slack)
    rate_limit_once(slack, "conversations.history", 3)  # the third page of history
    rate_limit_once(slack, "conversations.replies", 4)  # the long thread's second page
    queue = f"transcript-{uuid.uuid4().hex[:8]}"
    async with Worker(
        dev_server.client,
        task_queue=queue,
        workflows=[ReadChannel],
        activities=[transcripts(slack).channel_transcript],
        interceptors=[AttemptDeadlineInterceptor()],
    ):
        got = await dev_server.client.execute_workflow(
            ReadChannel.run, input, id=queue, task_queue=queue
        )

    reads = [call for call in slack.calls() if call.method in READS]
    limited = [page(call) for call in reads if call.status == 429]
    answered = Counter(page(call) for call in reads if call.status == 200)
    # Each page was read once; only the two pages answered 429 were asked for twice.
    assert len(limited) == 2 and set(limited) <= set(answered)
    assert set(answered.values()) == {1}
    assert [page(call) for call in reads].count(limited[0]) == 2
    # Complete and in order: each thread's replies under its message.
    assert [m.text for m in got.messages] == expected
    assert [m.reply for m in got.messages].count(True) == 450 + 13
    assert got.left_out == 0


async def test_what_is_carried_stays_bounded(
    slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Heartbeats never carry more than MAX_BYTES: past it, the last checkpoint that fit is kept,
    and the attempt after a 429 re-reads only what came after it."""
    input, expected = long_channel(slack)
    monkeypatch.setattr(transcript_progress, "MAX_BYTES", 3000)
    monkeypatch.setattr(transcript_progress, "HEARTBEAT_EVERY", 0)
    rate_limit_once(slack, "conversations.replies", 12)
    beats: list[tuple[Any, ...]] = []
    reader = transcripts(slack)
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details)
    with pytest.raises(ApplicationError):
        await env.run(reader.channel_transcript, input)
    sizes = [len(details[0]) for details in beats if details]
    assert sizes and max(sizes) <= 3000
    assert beats[-1] == beats[-2]  # the checkpoint stopped growing once it would not fit

    env.info = dataclasses.replace(env.info, attempt=2, heartbeat_details=list(beats[-1]))
    got = await env.run(reader.channel_transcript, input)
    assert [m.text for m in got.messages] == expected
