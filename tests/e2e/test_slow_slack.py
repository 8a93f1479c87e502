"""Slack answering slower than an activity may wait: the attempt is abandoned and retried, and
the abandoned attempt never acts afterwards, so each artefact still exists once."""

from __future__ import annotations

from typing import Any

from temporalio.testing import WorkflowEnvironment

from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.stack import ONCE, fireline_stack

SLOWER_THAN_AN_ATTEMPT = 12.0  # seconds; the activities' start-to-close timeout is 10 s


def summary_post(args: dict[str, Any]) -> bool:
    metadata = args.get("metadata") or {}
    return (metadata.get("event_payload") or {}).get("step") == "summary"


async def test_slow_answers_make_one_summary_one_pin_one_bookmark(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        view = await stack.open_form()
        for method, when in (
            ("chat.postMessage", summary_post),
            ("pins.add", None),
            ("bookmarks.add", None),
        ):
            slack.faults.add(
                method, kind="latency", seconds=SLOWER_THAN_AN_ATTEMPT, times=1, when=when
            )
        await stack.submit(view)
        incident = await stack.declared(stack.workflow_id(view), timeout=90)

        assert incident.channel is not None
        assert stack.artifact_counts(incident) == ONCE
        assert [mark["title"] for mark in slack.bookmarks(incident.channel.id)] == [
            f"{incident.reference} in Temporal"
        ]

        # Each slow call was given up by its client, and Slack did nothing for it, even after
        # its delay ran out (the fake logs a call when it is done with it).
        async def given_up() -> list[str]:
            gone = sorted(c.method for c in slack.calls() if c.fault == "client_gone")
            assert gone == ["bookmarks.add", "chat.postMessage", "pins.add"]
            return gone

        await eventually(given_up, timeout=SLOWER_THAN_AN_ATTEMPT)
        assert stack.artifact_counts(incident) == ONCE
        assert incident.problems == []
