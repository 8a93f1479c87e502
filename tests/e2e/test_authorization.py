"""The bot learns who it is (auth.test) from Slack on its first request. Slack being unreachable
then is said as such and asked again next time; only a refused token says to reinstall."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from bot.listeners.shortcuts import GLOBAL_SHORTCUT
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.stack import REPORTER, fireline_stack

SLACK_DOWN = [
    pytest.param({"kind": "outage"}, id="connection-dropped"),
    pytest.param({"kind": "http_error", "status": 503}, id="http-503"),
    pytest.param({"kind": "ratelimited"}, id="rate-limited"),
]


@pytest.mark.parametrize("fault", SLACK_DOWN)
async def test_slack_unreachable_at_start_then_back(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str, fault: dict[str, Any]
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url, run_worker=False) as stack:
        outage = slack.faults.add("auth.test", **fault)
        response = await stack.slack.slash_command(
            "/incident", user_id=REPORTER, channel_id=stack.feed
        )
        assert response.status == 200
        assert "cannot reach Slack" in response.text and "Try again" in response.text
        assert "reinstall" not in response.text

        slack.faults.remove(outage)
        response = await stack.slack.slash_command(
            "/incident", user_id=REPORTER, channel_id=stack.feed
        )
        assert response.status == 200 and response.text == ""
        (opened,) = await eventually(lambda: slack.calls("views.open"))
        assert opened.response is not None and opened.response["ok"]


async def test_interaction_while_slack_is_unreachable_is_refused_for_a_retry(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    """Slack shows its own "try again" on a 503 instead of taking the click as done."""
    async with fireline_stack(slack, dev_server.client, database_url, run_worker=False) as stack:
        slack.faults.add("auth.test", kind="outage")
        response = await stack.slack.global_shortcut(GLOBAL_SHORTCUT, user_id=REPORTER)
        assert response.status == 503 and response.text == ""
        assert slack.calls("views.open") == []


@pytest.mark.parametrize("error", ["invalid_auth", "token_revoked"])
async def test_refused_token_says_to_reinstall(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str, error: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url, run_worker=False) as stack:
        slack.faults.add("auth.test", kind="error", error=error)
        response = await stack.slack.slash_command(
            "/incident", user_id=REPORTER, channel_id=stack.feed
        )
        assert response.status == 200
        assert "refused Fireline's bot token" in response.text
        assert "reinstall" in response.text and "SLACK_BOT_TOKEN" in response.text
        assert slack.calls("views.open") == []
