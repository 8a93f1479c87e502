"""The PagerDuty activities against the fake, with the clients as the worker builds them: what
Temporal is told to do about each answer, and who is on call."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pagerduty import Error
from pydantic import SecretStr
from slack_sdk.web.async_client import AsyncWebClient
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.pagerduty import PagerDutyActivities
from activities.pagerduty_errors import RATE_LIMITED, REFUSED
from activities.pagerduty_types import OnCallInput, PageInput, PageLink
from activities.slack import SlackActivities
from activities.types import CreateStatusChannelInput, FindUsersInput
from fireline.pagerduty import events_client, paging_plan, rest_client
from fireline.settings import Settings
from tests.fakes.pagerduty import API_TOKEN, ROUTING_KEY, FakePagerDuty
from tests.fakes.slack import FakeSlack


def activities(fake: FakePagerDuty, routing_key: str | None = ROUTING_KEY) -> PagerDutyActivities:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        pagerduty_routing_key=SecretStr(routing_key) if routing_key else None,
        pagerduty_api_token=SecretStr(API_TOKEN),
        pagerduty_escalation_policy_ids="PEP1",
        pagerduty_events_url=fake.base_url,
        pagerduty_api_url=fake.base_url,
    )
    return PagerDutyActivities(
        events_client(settings), rest_client(settings), settings.pagerduty_escalation_policy_ids
    )


TRIGGER = PageInput(
    action="trigger",
    dedup_key="incident-T1-V1",
    summary="INC-3: Checkout down",
    severity="error",
    timestamp=datetime(2026, 11, 29, 12, 0, tzinfo=UTC),
    links=[PageLink(href="https://fake.slack.com/archives/C1", text="Incident channel in Slack")],
    custom_details={"title": "Checkout down"},
)


async def test_a_trigger_carries_the_incident(pagerduty: FakePagerDuty) -> None:
    result = await ActivityEnvironment().run(activities(pagerduty).send_page, TRIGGER)
    assert result.sent
    (alert,) = pagerduty.alerts("incident-T1-V1")
    (event,) = alert.events
    assert event["payload"] == {
        "summary": "INC-3: Checkout down",
        "source": "fireline",
        "severity": "error",
        "timestamp": "2026-11-29T12:00:00+00:00",
        "custom_details": {"title": "Checkout down"},
    }
    assert event["links"] == [
        {"href": "https://fake.slack.com/archives/C1", "text": "Incident channel in Slack"}
    ]
    resolve = PageInput(action="resolve", dedup_key="incident-T1-V1")
    await ActivityEnvironment().run(activities(pagerduty).send_page, resolve)
    assert pagerduty.alerts()[0].status == "resolved"


async def test_paging_off_sends_nothing(pagerduty: FakePagerDuty) -> None:
    result = await ActivityEnvironment().run(activities(pagerduty, None).send_page, TRIGGER)
    assert not result.sent and pagerduty.calls == []


async def test_a_wrong_routing_key_is_not_retried_and_says_what_to_fix(
    pagerduty: FakePagerDuty,
) -> None:
    wrong = activities(pagerduty, "f" * 32)
    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(wrong.send_page, TRIGGER)
    assert raised.value.non_retryable and raised.value.type == REFUSED
    assert "Invalid routing key" in str(raised.value)
    assert "PAGERDUTY_ROUTING_KEY" in str(raised.value)


async def test_a_429_is_retried_by_temporal(pagerduty: FakePagerDuty) -> None:
    pagerduty.faults.add("enqueue", kind="ratelimited")
    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(activities(pagerduty).send_page, TRIGGER)
    assert not raised.value.non_retryable and raised.value.type == RATE_LIMITED


@pytest.mark.parametrize("kind", ["http_error", "outage", "drop_after_effect"])
async def test_5xx_outages_and_lost_answers_are_retried_by_temporal(
    pagerduty: FakePagerDuty, kind: str
) -> None:
    pagerduty.faults.add("enqueue", kind=kind, status=503)  # type: ignore[arg-type]
    with pytest.raises(Error):
        await ActivityEnvironment().run(activities(pagerduty).send_page, TRIGGER)
    assert len(pagerduty.enqueued()) == 1


async def test_who_is_on_call_once_each(pagerduty: FakePagerDuty) -> None:
    pagerduty.add_user("PA", "Ada", "ada@example.com")
    pagerduty.add_user("PB", "Bo", "bo@example.com")
    pagerduty.put_on_call("PA", "PEP1", level=1)
    pagerduty.put_on_call("PA", "PEP1", level=2)
    pagerduty.put_on_call("PB", "PEP2")
    result = await ActivityEnvironment().run(activities(pagerduty).find_oncall, OnCallInput())
    assert result.configured
    assert [(p.pagerduty_id, p.name, p.email) for p in result.people] == [
        ("PA", "Ada", "ada@example.com")
    ]


async def test_slack_users_by_email(slack: FakeSlack) -> None:
    slack.add_user("UADA", "ada", email="ada@example.com")
    slack.add_user("UGONE", "gone", email="gone@example.com", deleted=True)
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url, retry_handlers=[])
    found = await ActivityEnvironment().run(
        SlackActivities(client).find_users_by_email,
        FindUsersInput(emails=["ada@example.com", "gone@example.com", "who@example.com"]),
    )
    assert found.user_ids == {"ada@example.com": "UADA"}
    assert found.missing == ["gone@example.com", "who@example.com"]


async def test_a_status_channel_is_never_the_incident_channel(slack: FakeSlack) -> None:
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url, retry_handlers=[])
    slack_activities = SlackActivities(client)
    # An incident titled "Status" has the status channel's name already.
    created = await client.conversations_create(name="inc-5-status")
    status = await ActivityEnvironment().run(
        slack_activities.create_status_channel,
        CreateStatusChannelInput(
            number=5,
            not_before=datetime.now(UTC),
            incident_channel_id=created["channel"]["id"],
        ),
    )
    assert status.name == "inc-5-status-2" and status.id != created["channel"]["id"]
    again = await ActivityEnvironment().run(
        slack_activities.create_status_channel,
        CreateStatusChannelInput(
            number=5, not_before=datetime.now(UTC), incident_channel_id=created["channel"]["id"]
        ),
    )
    assert again == status  # a retry adopts it


@pytest.mark.parametrize(
    ("env", "events", "oncall"),
    [
        ({}, False, False),
        ({"pagerduty_routing_key": SecretStr(ROUTING_KEY)}, True, False),
        ({"pagerduty_api_token": SecretStr(API_TOKEN)}, False, False),
        (
            {"pagerduty_api_token": SecretStr(API_TOKEN), "pagerduty_escalation_policy_ids": "P1"},
            False,
            True,
        ),
    ],
)
def test_the_paging_plan_says_what_the_clients_can_do(
    env: dict[str, object], events: bool, oncall: bool
) -> None:
    settings = Settings(_env_file=None, **env)  # type: ignore[call-arg]
    plan = paging_plan(settings)
    assert (plan.events, plan.oncall) == (events, oncall)
    assert (events_client(settings) is not None, rest_client(settings) is not None) == (
        events,
        oncall,
    )
