"""Only requests signed by Slack, recently, over the exact body they carry, reach the bot."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode

from temporalio.testing import WorkflowEnvironment

from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.slack_requests import API_APP_ID, VERIFICATION_TOKEN, BotResponse, sign
from tests.stack import REPORTER, SIGNING_SECRET, Stack, fireline_stack

FORM = "application/x-www-form-urlencoded"


def incident_command(stack: Stack, text: str = "") -> str:
    """The body of `/incident` as Slack sends it, with a live trigger_id."""
    return urlencode(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": stack.fake.team_id,
            "team_domain": "fake",
            "channel_id": stack.feed,
            "channel_name": "incidents",
            "user_id": REPORTER,
            "user_name": "rita",
            "command": "/incident",
            "text": text,
            "api_app_id": API_APP_ID,
            "is_enterprise_install": "false",
            "response_url": stack.fake.response_url(stack.feed, REPORTER),
            "trigger_id": stack.fake.issue_trigger_id(REPORTER),
        }
    )


def assert_refused(response: BotResponse) -> None:
    assert response.status == 401, (response.status, response.text)


async def assert_nothing_happened(stack: Stack, refused_body: str) -> None:
    """A properly signed `/incident` sent afterwards opens the only modal there is: the refused
    request set nothing off, not even in the background."""
    refused_trigger = parse_qs(refused_body)["trigger_id"][0]
    response = await stack.slack.slash_command("/incident", user_id=REPORTER, channel_id=stack.feed)
    assert response.status == 200, response.text
    (opened,) = await eventually(lambda: stack.fake.calls("views.open"))
    assert opened.args["trigger_id"] != refused_trigger
    # Bolt may look up its own identity (auth.test); nothing else reached Slack.
    assert [c.method for c in stack.fake.calls() if c.method != "auth.test"] == ["views.open"]
    assert stack.fake.responses() == [] and stack.fake.messages(stack.feed) == []


async def test_forged_signature_is_refused(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url, run_worker=False) as stack:
        body = incident_command(stack)
        forged = sign("not-the-signing-secret", str(int(time.time())), body)
        assert_refused(await stack.slack.post(body, FORM, signature=forged))
        assert_refused(await stack.slack.post(body, FORM, signature="v0=" + "0" * 64))
        await assert_nothing_happened(stack, body)


async def test_stale_timestamp_is_refused(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url, run_worker=False) as stack:
        body = incident_command(stack)
        stale = int(time.time()) - 301  # correctly signed, but for a moment over 5 minutes ago
        signature = sign(SIGNING_SECRET, str(stale), body)
        assert_refused(await stack.slack.post(body, FORM, timestamp=stale, signature=signature))
        await assert_nothing_happened(stack, body)


async def test_correctly_signed_request_is_served(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url, run_worker=False) as stack:
        body = incident_command(stack)
        now = str(int(time.time()))
        response = await stack.slack.post(
            body, FORM, timestamp=now, signature=sign(SIGNING_SECRET, now, body)
        )
        assert response.status == 200, response.text
        (opened,) = await eventually(lambda: slack.calls("views.open"))
        assert opened.response is not None and opened.response["ok"]


async def test_body_changed_after_signing_is_refused(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url, run_worker=False) as stack:
        signed = incident_command(stack, text="help")
        tampered = signed.replace("user_id=UREPORTER", "user_id=UCOMMANDER").replace(
            "text=help", "text="
        )
        assert tampered != signed
        now = str(int(time.time()))
        signature = sign(SIGNING_SECRET, now, signed)
        assert_refused(await stack.slack.post(tampered, FORM, timestamp=now, signature=signature))
        await assert_nothing_happened(stack, signed)
