"""Slack misbehaving during declaration: rate limits, 5xx, and answers lost after the effect.
Every retry is a Temporal retry of an idempotent activity, so each artefact still exists once.
And a rate limit on the summary's update after a change, tried in the workflow task."""

from __future__ import annotations

import time
from typing import Any

from temporalio.testing import WorkflowEnvironment

from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.stack import ONCE, REPORTER, fireline_stack


def call_times(fake: FakeSlack, method: str) -> list[float]:
    """Record when each call of `method` arrives (a rule whose predicate never matches)."""
    times: list[float] = []

    def record(args: dict[str, Any]) -> bool:
        times.append(time.monotonic())
        return False

    fake.faults.add(method, kind="error", error="never", when=record)
    return times


async def test_rate_limits_and_server_errors_are_retried_once(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        view = await stack.open_form()
        create_times = call_times(slack, "conversations.create")
        for method in ("conversations.create", "chat.postMessage"):
            slack.faults.add(method, kind="ratelimited", retry_after=2, times=1)
            slack.faults.add(method, kind="http_error", status=500, times=2)
        await stack.submit(view)
        incident = await stack.declared(stack.workflow_id(view), timeout=60)

        assert stack.artifact_counts(incident) == ONCE
        assert incident.problems == []
        # 429, 500, 500, then the create that worked; the 429 was honoured (Retry-After: 2).
        assert len(create_times) == 4
        assert create_times[1] - create_times[0] >= 2.0


async def test_lost_answers_never_duplicate(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        view = await stack.open_form()
        # The call takes effect, then the connection drops before Slack's answer.
        slack.faults.add("conversations.create", kind="drop_after_effect", times=1)
        slack.faults.add("chat.postMessage", kind="drop_after_effect", times=3)
        await stack.submit(view)
        incident = await stack.declared(stack.workflow_id(view), timeout=60)

        assert stack.artifact_counts(incident) == ONCE
        creates = slack.calls("conversations.create")
        # The retry met name_taken (which carries no id) and found the channel it had made.
        assert [call.response and call.response.get("error") for call in creates[1:]] == [
            "name_taken"
        ]
        dropped_posts = [c for c in slack.calls("chat.postMessage") if c.status == 0]
        assert len(dropped_posts) == 3


async def test_a_channel_slack_will_not_allow_is_told_to_the_reporter_once(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        view = await stack.open_form()
        slack.faults.add("conversations.create", kind="error", error="restricted_action")
        await stack.submit(view, title="Orders <stuck>")
        workflow_id = stack.workflow_id(view)

        dm = await eventually(lambda: slack.dm_channel(REPORTER))
        told = await eventually(lambda: stack.tagged(dm, workflow_id, "channel_refused"))
        text = str(told[0]["blocks"])
        assert "refused to create its channel" in text
        assert "does not let the bot create channels" in text
        assert "Orders <stuck>" in text  # the title as typed, in plain_text
        # One refusal, no retry storm: the next attempt waits on a durable timer.
        assert len(slack.calls("conversations.create")) == 1
        assert [c for c in slack.channels() if c["name"].startswith("inc-")] == []
        assert len(stack.tagged(dm, workflow_id, "channel_refused")) == 1


async def test_a_rate_limited_summary_update_is_queued_after_slacks_delay(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        incident = await stack.declared_in_channel()
        assert incident.channel is not None and incident.summary_ts is not None

        def is_summary(args: dict[str, Any]) -> bool:
            return args.get("ts") == incident.summary_ts

        updates: list[tuple[float, dict[str, Any]]] = []

        def record(args: dict[str, Any]) -> bool:
            if is_summary(args):
                updates.append((time.monotonic(), args))
            return False

        slack.faults.add("chat.update", kind="error", error="never", when=record)
        slack.faults.add("chat.update", kind="ratelimited", retry_after=2, times=1, when=is_summary)
        await stack.command("status identified", incident.channel.id)
        await eventually(lambda: len(updates) == 2, timeout=20)

    # The try in the workflow task met the 429; the update queued after it waited Retry-After.
    (limited_at, limited), (updated_at, updated) = updates
    assert updated_at - limited_at >= 2.0
    assert limited["blocks"] == updated["blocks"] and "identified" in str(updated["blocks"])
