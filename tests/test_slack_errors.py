"""One reading of Slack's errors: retry, retry after Slack's delay, or give up and tell."""

from __future__ import annotations

from datetime import timedelta

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from temporalio.exceptions import ApplicationError

from activities.slack_errors import SlackFailure, classify
from tests.fakes.slack import FakeSlack


async def failure_of(fake: FakeSlack, **fault: object) -> tuple[SlackFailure, SlackApiError]:
    fake.faults.add("chat.postMessage", times=1, **fault)  # type: ignore[arg-type]
    client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url, retry_handlers=[])
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel=fake.add_channel("x"), text="hi")
    return classify(raised.value), raised.value


async def test_rate_limit_retries_after_slacks_delay(slack: FakeSlack) -> None:
    failure, err = await failure_of(slack, kind="ratelimited", retry_after=7)
    assert failure.retry_after == timedelta(seconds=7)
    with pytest.raises(ApplicationError) as raised:
        failure.give_up(err)
    assert not raised.value.non_retryable
    assert raised.value.next_retry_delay == timedelta(seconds=7)


async def test_a_refusal_gives_up_with_its_reason(slack: FakeSlack) -> None:
    failure, err = await failure_of(slack, kind="error", error="is_archived")
    assert failure.refusal == "the channel is archived" and failure.retry_after is None
    with pytest.raises(ApplicationError, match="the channel is archived") as raised:
        failure.give_up(err)
    assert raised.value.non_retryable and raised.value.type == "SlackRefused"


async def test_not_permitted_names_what_an_admin_must_fix(slack: FakeSlack) -> None:
    failure, err = await failure_of(slack, kind="error", error="missing_scope")
    with pytest.raises(ApplicationError, match="lacks a scope") as raised:
        failure.give_up(err)
    assert raised.value.non_retryable and raised.value.type == "SlackNotPermitted"


async def test_a_server_error_is_retried_as_itself(slack: FakeSlack) -> None:
    failure, err = await failure_of(slack, kind="http_error", status=503)
    assert failure.code == "http_503"
    assert (failure.refusal, failure.not_permitted, failure.retry_after) == (None, None, None)
    with pytest.raises(SlackApiError):
        failure.retry(err)
