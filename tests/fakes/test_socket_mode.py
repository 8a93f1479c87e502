"""The fake's Socket Mode: apps.connections.open and the WebSocket endpoint, driven by slack_sdk."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack import FakeSlack
from tests.helpers import eventually


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


def error(token: str | None, fake: FakeSlack, method: str = "apps.connections.open") -> str:
    with pytest.raises(SlackApiError) as info:
        WebClient(token=token, base_url=fake.api_url).api_call(method)
    return str(info.value.response["error"])


def test_connections_open_takes_the_app_token_only(fake: FakeSlack) -> None:
    opened = WebClient(base_url=fake.api_url).apps_connections_open(app_token=fake.app_token)
    assert opened["ok"] and opened["url"].startswith("ws://127.0.0.1:")
    assert "ticket=" in opened["url"]

    assert error(fake.bot_token, fake) == "not_allowed_token_type"
    assert error("xapp-1-A0OTHER-0002-unknown", fake) == "invalid_auth"
    assert error(None, fake) == "not_authed"
    # ...and the app-level token opens connections, nothing else.
    assert error(fake.app_token, fake, "auth.test") == "not_allowed_token_type"


async def test_client_gets_hello_then_envelopes_and_its_acks_are_kept(fake: FakeSlack) -> None:
    async def answer(client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        reply = {"text": f"got {req.payload['command']}"}
        await client.send_socket_mode_response(SocketModeResponse(req.envelope_id, payload=reply))

    client = SocketModeClient(
        app_token=fake.app_token, web_client=AsyncWebClient(base_url=fake.api_url)
    )
    client.socket_mode_request_listeners.append(answer)
    try:
        await client.connect()  # type: ignore[no-untyped-call]
        await eventually(fake.socket_mode.connections)
        hello = await eventually(
            lambda: [m for m in fake.socket_mode.sent() if m["type"] == "hello"]
        )
        assert hello[0]["connection_info"]["app_id"] == "A0FAKEAPP1"

        envelope_id = fake.socket_mode.send("slash_commands", {"command": "/incident"})
        ack = await eventually(lambda: fake.socket_mode.ack(envelope_id))
        assert ack == {"envelope_id": envelope_id, "payload": {"text": "got /incident"}}
        assert fake.socket_mode.sent()[-1]["accepts_response_payload"] is True
    finally:
        await client.close()  # type: ignore[no-untyped-call]
    await eventually(lambda: fake.socket_mode.connections() == 0)
    with pytest.raises(RuntimeError, match="no Socket Mode client"):
        fake.socket_mode.send("slash_commands", {})


def test_unknown_ticket_is_refused(fake: FakeSlack) -> None:
    url = fake.socket_mode.issue_url().replace("ticket=", "ticket=x")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url.replace("ws://", "http://"), timeout=5)
    assert info.value.code == 401
