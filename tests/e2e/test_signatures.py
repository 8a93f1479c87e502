"""Only requests signed by Slack, recently, over the exact body they carry, reach the bot."""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs, urlencode

import aiohttp
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.slack_requests import API_APP_ID, VERIFICATION_TOKEN, BotResponse, sign
from tests.stack import REPORTER, SIGNING_SECRET, Stack, fireline_stack

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
ZEROS = "v0=" + "0" * 64


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
    assert response.text == "", "a refusal tells the sender nothing"


def assert_logged_one_line(caplog: pytest.LogCaptureFixture) -> None:
    """The refusal is one log line (a warning), without a traceback."""
    (record,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.exc_info is None and "\n" not in record.getMessage(), record.getMessage()


async def post_raw(url: str, body: bytes, headers: dict[str, str]) -> BotResponse:
    """A POST that is not from Slack: only the headers given."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as res,
    ):
        return BotResponse(res.status, await res.text())


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


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        pytest.param(b"payload=%7Bnot-json", {"Content-Type": FORM}, id="unsigned-form"),
        pytest.param(b'{"type": "event_callback", ', {"Content-Type": JSON}, id="unsigned-json"),
        pytest.param(
            b"payload=%7Bnot-json",
            {"Content-Type": FORM, "X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": ZEROS},
            id="timestamp-not-a-number",
        ),
        pytest.param(
            b"\xff\xfe not utf-8",
            {
                "Content-Type": FORM,
                "X-Slack-Request-Timestamp": str(int(time.time())),
                "X-Slack-Signature": ZEROS,
            },
            id="not-utf-8",
        ),
    ],
)
async def test_unsigned_garbage_is_refused_before_it_is_read(
    slack: FakeSlack,
    dev_server: WorkflowEnvironment,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    headers: dict[str, str],
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url, run_worker=False) as stack:
        caplog.set_level(logging.WARNING)
        assert_refused(await post_raw(stack.slack.bot_url, body, headers))
        assert_logged_one_line(caplog)
        assert slack.calls() == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param("payload=%7Bnot-json", FORM, id="payload-not-json"),
        pytest.param('{"type": "event_callback", ', JSON, id="json-cut-short"),
        pytest.param("[1, 2]", JSON, id="json-not-an-object"),
        pytest.param(urlencode({"payload": '"just text"'}), FORM, id="payload-not-an-object"),
        pytest.param('{"authorizations": {"team_id": "T1"}}', JSON, id="fields-of-the-wrong-shape"),
    ],
)
async def test_signed_malformed_body_is_a_bad_request(
    slack: FakeSlack,
    dev_server: WorkflowEnvironment,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    body: str,
    content_type: str,
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url, run_worker=False) as stack:
        caplog.set_level(logging.WARNING)
        response = await stack.slack.post(body, content_type)
        assert response.status == 400, (response.status, response.text)
        assert response.text == ""
        assert_logged_one_line(caplog)
        assert slack.calls() == []
