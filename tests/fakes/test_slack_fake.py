"""The Slack fake, driven by the real slack_sdk clients (and Bolt, for SlackRequests)."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookClient

from tests.fakes.slack import FakeSlack, ManualClock
from tests.slack_requests import SlackRequests, sign

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeSlack) -> FakeSlack:
    server.reset()
    server.add_user("U1", "alice", email="alice@example.com")
    server.add_user("U2", "bob")
    server.add_user("UGONE", "carol", deleted=True)
    return server


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=fake.bot_token, base_url=fake.api_url)


def error_of(call: Any, *args: Any, **kwargs: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        call(*args, **kwargs)
    return info.value


def code(call: Any, *args: Any, **kwargs: Any) -> str:
    return str(error_of(call, *args, **kwargs).response["error"])


def modal(title: str = "Declare", blocks: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    view = {"type": "modal", "title": {"type": "plain_text", "text": title}}
    return {**view, "blocks": blocks if blocks is not None else [SECTION], **extra}


# auth, channels ---------------------------------------------------------------------
def test_auth_and_unknown_method(fake: FakeSlack, client: WebClient) -> None:
    assert client.auth_test()["user_id"] == fake.bot_user_id
    bad = WebClient(token="xoxb-wrong", base_url=fake.api_url)
    assert code(bad.auth_test) == "invalid_auth"
    err = error_of(client.api_call, "nope.nothing")
    assert err.response["error"] == "unknown_method"


def test_create_then_name_taken_carries_no_channel(fake: FakeSlack, client: WebClient) -> None:
    channel = client.conversations_create(name="inc-1-db", is_private=True)["channel"]
    assert channel["is_private"] is True and channel["creator"] == fake.bot_user_id
    snap = fake.channel_by_name("inc-1-db")
    assert snap is not None and snap["id"] == channel["id"]
    assert snap["members"] == [fake.bot_user_id]
    err = error_of(client.conversations_create, name="inc-1-db")
    assert err.response.data == {"ok": False, "error": "name_taken"}
    client.conversations_archive(channel=channel["id"])
    assert code(client.conversations_create, name="inc-1-db") == "name_taken"


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "invalid_name_required"),
        ("a" * 81, "invalid_name_maxlength"),
        ("Inc-1", "invalid_name_specials"),
        ("inc 1", "invalid_name_specials"),
        ("inc.1", "invalid_name_specials"),
        ("--_", "invalid_name_punctuation"),
    ],
)
def test_invalid_channel_names(client: WebClient, name: str, error: str) -> None:
    assert code(client.conversations_create, name=name) == error


def test_valid_name_edges_and_rename(fake: FakeSlack, client: WebClient) -> None:
    cid = client.conversations_create(name="a" * 80)["channel"]["id"]
    client.conversations_create(name="taken")
    assert code(client.conversations_rename, channel=cid, name="taken") == "name_taken"
    renamed = client.conversations_rename(channel=cid, name="inc-2_x")["channel"]
    assert renamed["name"] == "inc-2_x" and renamed["previous_names"] == ["a" * 80]
    seeded = fake.add_channel("someone-elses")
    assert code(client.conversations_rename, channel=seeded, name="mine") == "not_authorized"


def test_private_channels_only_visible_to_members(fake: FakeSlack, client: WebClient) -> None:
    public_out = fake.add_channel("feed", bot_member=False)
    private_in = fake.add_channel("sec-in", is_private=True)
    private_out = fake.add_channel("sec-out", is_private=True, bot_member=False)
    archived = fake.add_channel("old")
    client.conversations_archive(channel=archived)
    seen = [
        c["id"]
        for page in client.conversations_list(
            types="public_channel,private_channel", exclude_archived=True, limit=1
        )
        for c in page["channels"]
    ]
    assert seen == [public_out, private_in]
    default = {c["id"] for c in client.conversations_list()["channels"]}
    assert default == {public_out, archived}
    assert code(client.conversations_info, channel=private_out) == "channel_not_found"
    assert client.conversations_info(channel=public_out)["channel"]["is_member"] is False


def test_invite_errors_and_force(fake: FakeSlack, client: WebClient) -> None:
    cid = fake.add_channel("inc-3", members=["U1"])
    outside = fake.add_channel("feed", bot_member=False)
    hidden = fake.add_channel("secret", is_private=True, bot_member=False)
    assert code(client.conversations_invite, channel=outside, users="U2") == "not_in_channel"
    assert code(client.conversations_invite, channel=hidden, users="U2") == "channel_not_found"
    assert code(client.conversations_invite, channel="C404", users="U2") == "channel_not_found"
    assert code(client.conversations_invite, channel=cid, users="U1") == "already_in_channel"
    assert code(client.conversations_invite, channel=cid, users="UNOPE") == "user_not_found"
    assert code(client.conversations_invite, channel=cid, users="UGONE") == "cant_invite"
    assert code(client.conversations_invite, channel=cid, users=fake.bot_user_id) == (
        "cant_invite_self"
    )
    mixed = ["U2", "UNOPE", "UGONE"]
    err = error_of(client.conversations_invite, channel=cid, users=mixed)
    assert err.response["error"] == "user_not_found"
    assert "U2" not in fake.channel_by_id(cid)["members"]  # type: ignore[index]
    ok = client.conversations_invite(channel=cid, users=mixed, force=True)
    assert ok["errors"] == [
        {"user": "UNOPE", "ok": False, "error": "user_not_found"},
        {"user": "UGONE", "ok": False, "error": "cant_invite"},
    ]
    assert fake.channel_by_id(cid)["members"] == [fake.bot_user_id, "U1", "U2"]  # type: ignore[index]


def test_topic_purpose_join(fake: FakeSlack, client: WebClient) -> None:
    cid = fake.add_channel("inc-4")
    assert code(client.conversations_setTopic, channel=cid, topic="x" * 251) == "too_long"
    client.conversations_setTopic(channel=cid, topic="SEV1 | db down")
    client.conversations_setPurpose(channel=cid, purpose="Incident 4")
    snap = fake.channel_by_id(cid)
    assert snap is not None and (snap["topic"], snap["purpose"]) == ("SEV1 | db down", "Incident 4")
    assert [m["subtype"] for m in fake.messages(cid, include_system=True)] == [
        "channel_topic",
        "channel_purpose",
    ]
    assert fake.messages(cid) == []
    feed = fake.add_channel("feed", bot_member=False)
    client.conversations_join(channel=feed)
    assert client.conversations_join(channel=feed)["warning"] == "already_in_channel"
    private = fake.add_channel("p", is_private=True)
    assert code(client.conversations_join, channel=private) == (
        "method_not_supported_for_channel_type"
    )


# messages ----------------------------------------------------------------------------
def test_history_metadata_only_when_asked(fake: FakeSlack, client: WebClient) -> None:
    cid = fake.add_channel("inc-5")
    meta = {"event_type": "incident_declared", "event_payload": {"id": "INC-5"}}
    first = client.chat_postMessage(channel=cid, text="one", metadata=meta)["ts"]
    client.chat_postMessage(channel=cid, text="reply", thread_ts=first)
    third = client.chat_postMessage(channel=cid, text="three")["ts"]
    plain = client.conversations_history(channel=cid)["messages"]
    assert [m["text"] for m in plain] == ["three", "one"]  # newest first, no replies
    assert all("metadata" not in m for m in plain)
    full = client.conversations_history(channel=cid, include_all_metadata=True)["messages"]
    assert full[1]["metadata"] == meta and full[1]["reply_count"] == 1
    window = client.conversations_history(channel=cid, oldest=first, latest=third)["messages"]
    assert window == []
    window = client.conversations_history(channel=cid, oldest=first, inclusive=True)["messages"]
    assert [m["text"] for m in window] == ["three", "one"]
    pages = [p["messages"][0]["text"] for p in client.conversations_history(channel=cid, limit=1)]
    assert pages == ["three", "one"]
    thread = client.conversations_replies(channel=cid, ts=first)["messages"]
    assert [m["text"] for m in thread] == ["one", "reply"]
    assert [m["thread_ts"] for m in fake.messages(cid)] == [first, first, None]


def test_history_needs_membership(fake: FakeSlack, client: WebClient) -> None:
    feed = fake.add_channel("feed", bot_member=False)
    hidden = fake.add_channel("secret", is_private=True, bot_member=False)
    assert code(client.conversations_history, channel=feed) == "not_in_channel"
    assert code(client.conversations_history, channel=hidden) == "channel_not_found"


def test_post_errors(fake: FakeSlack, client: WebClient) -> None:
    cid = fake.add_channel("inc-6")
    feed = fake.add_channel("feed", bot_member=False)
    hidden = fake.add_channel("secret", is_private=True, bot_member=False)
    assert code(client.chat_postMessage, channel=feed, text="x") == "not_in_channel"
    assert code(client.chat_postMessage, channel=hidden, text="x") == "channel_not_found"
    assert code(client.chat_postMessage, channel="C404", text="x") == "channel_not_found"
    with pytest.warns(UserWarning, match="top-level `text`"):
        assert code(client.chat_postMessage, channel=cid, text="") == "no_text"
    assert code(client.chat_postMessage, channel=cid, text="x" * 40_001) == "msg_too_long"
    client.conversations_archive(channel=cid)
    assert code(client.chat_postMessage, channel=cid, text="x") == "is_archived"


def test_dm_by_user_id_and_open_reuse(fake: FakeSlack, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="U1", text="you are on call")
    dm = fake.dm_channel("U1")
    assert dm is not None and dm.startswith("D") and posted["channel"] == dm
    again = client.conversations_open(users="U1")
    assert again["channel"]["id"] == dm and again["already_open"] is True
    assert [m["text"] for m in fake.messages(dm)] == ["you are on call"]


def test_update_delete_permalink_ephemeral(fake: FakeSlack, client: WebClient) -> None:
    cid = fake.add_channel("inc-7", members=["U1"])
    ts = client.chat_postMessage(channel=cid, text="v1", blocks=[SECTION])["ts"]
    human = fake.add_message(cid, "hello", user="U1")
    client.chat_update(channel=cid, ts=ts, text="v2")
    msg = fake.messages(cid)[0]
    assert (msg["text"], msg["blocks"], msg["edited"]["user"]) == (
        "v2",
        [SECTION],
        fake.bot_user_id,
    )
    assert code(client.chat_update, channel=cid, ts="1.000001", text="x") == "message_not_found"
    assert code(client.chat_update, channel=cid, ts=human, text="x") == "cant_update_message"
    link = client.chat_getPermalink(channel=cid, message_ts=ts)["permalink"]
    assert link == f"https://fake.slack.com/archives/{cid}/p{ts.replace('.', '')}"
    client.chat_postEphemeral(channel=cid, user="U1", text="only you")
    assert fake.ephemerals(cid)[0]["user"] == "U1"
    client.chat_delete(channel=cid, ts=ts)
    assert [m["text"] for m in fake.messages(cid)] == ["hello"]


def test_pins_and_bookmarks(fake: FakeSlack, client: WebClient) -> None:
    cid = fake.add_channel("inc-8")
    ts = client.chat_postMessage(channel=cid, text="summary")["ts"]
    client.pins_add(channel=cid, timestamp=ts)
    assert code(client.pins_add, channel=cid, timestamp=ts) == "already_pinned"
    assert code(client.pins_add, channel=cid, timestamp="1.000001") == "message_not_found"
    assert fake.pins(cid) == [ts]
    assert client.pins_list(channel=cid)["items"][0]["message"]["ts"] == ts
    client.pins_remove(channel=cid, timestamp=ts)
    assert fake.pins(cid) == []
    mark = client.bookmarks_add(channel_id=cid, title="Runbook", type="link", link="https://rb")
    assert code(client.bookmarks_add, channel_id=cid, title="x", type="link", link="ftp://x") == (
        "invalid_link"
    )
    bid = mark["bookmark"]["id"]
    client.bookmarks_edit(bookmark_id=bid, channel_id=cid, title="Runbook v2")
    assert [b["title"] for b in fake.bookmarks(cid)] == ["Runbook v2"]
    assert client.bookmarks_list(channel_id=cid)["bookmarks"][0]["link"] == "https://rb"
    client.bookmarks_remove(bookmark_id=bid, channel_id=cid)
    assert fake.bookmarks(cid) == []


def test_users(fake: FakeSlack, client: WebClient) -> None:
    assert client.users_info(user="U1")["user"]["name"] == "alice"
    assert code(client.users_info, user="UNOPE") == "user_not_found"
    assert client.users_lookupByEmail(email="alice@example.com")["user"]["id"] == "U1"
    assert code(client.users_lookupByEmail, email="x@example.com") == "users_not_found"
    members = [m["id"] for page in client.users_list(limit=2) for m in page["members"]]
    assert members == [fake.bot_user_id, "U1", "U2", "UGONE"]


# views --------------------------------------------------------------------------------
def test_trigger_ids_expire_and_are_single_use(fake: FakeSlack, client: WebClient) -> None:
    clock = ManualClock()
    fake.clock = clock
    stale = fake.issue_trigger_id("U1")
    clock.advance(3.01)
    assert code(client.views_open, trigger_id=stale, view=modal()) == "expired_trigger_id"
    fresh = fake.issue_trigger_id("U1")
    clock.advance(2.9)
    view = client.views_open(trigger_id=fresh, view=modal(callback_id="declare"))["view"]
    assert code(client.views_open, trigger_id=fresh, view=modal()) == "exchanged_trigger_id"
    assert code(client.views_open, trigger_id="1.2.abc", view=modal()) == "invalid_trigger_id"
    opened = fake.views()
    assert [(v["id"], v["user"], v["trigger_id"], v["callback_id"]) for v in opened] == [
        (view["id"], "U1", fresh, "declare")
    ]


def test_views_update_hash_and_external_id(fake: FakeSlack, client: WebClient) -> None:
    trigger = fake.issue_trigger_id("U1")
    view = client.views_open(trigger_id=trigger, view=modal(external_id="inc-9"))["view"]
    updated = client.views_update(
        view_id=view["id"], hash=view["hash"], view=modal("Step 2", external_id="inc-9")
    )
    assert updated["view"]["hash"] != view["hash"]
    stale = error_of(client.views_update, view_id=view["id"], hash=view["hash"], view=modal())
    assert stale.response["error"] == "hash_conflict"
    by_ext = client.views_update(external_id="inc-9", view=modal("Step 3", external_id="inc-9"))
    assert by_ext["view"]["id"] == view["id"]
    assert code(client.views_update, view_id="V404", view=modal()) == "not_found"
    assert fake.views()[0]["view"]["title"]["text"] == "Step 3"
    home = {"type": "home", "blocks": [SECTION]}
    assert client.views_publish(user_id="U1", view=home)["view"]["type"] == "home"


# Block Kit limits ---------------------------------------------------------------------
def test_message_block_limits(fake: FakeSlack, client: WebClient) -> None:
    cid = fake.add_channel("inc-10")
    client.chat_postMessage(channel=cid, text="ok", blocks=[SECTION] * 50)
    too_many = error_of(client.chat_postMessage, channel=cid, text="x", blocks=[SECTION] * 51)
    assert too_many.response["error"] == "invalid_blocks"
    assert too_many.response["response_metadata"]["messages"] == [
        "[ERROR] no more than 50 items allowed [json-pointer:/blocks]"
    ]
    long_section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    err = error_of(client.chat_postMessage, channel=cid, text="x", blocks=[long_section])
    assert err.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
    ]
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}
    err = error_of(client.chat_postMessage, channel=cid, text="x", blocks=[SECTION, header])
    assert "[json-pointer:/blocks/1/text/text]" in err.response["response_metadata"]["messages"][0]
    assert len(fake.messages(cid)) == 1


def test_view_limits(fake: FakeSlack, client: WebClient) -> None:
    cases = [
        (modal("t" * 25), "/view/title/text"),
        (modal(blocks=[SECTION] * 101), "/view/blocks"),
        (modal(private_metadata="m" * 3001), "/view/private_metadata"),
    ]
    for view, pointer in cases:
        err = error_of(client.views_open, trigger_id=fake.issue_trigger_id("U1"), view=view)
        assert err.response["error"] == "invalid_arguments"
        assert pointer in err.response["response_metadata"]["messages"][0]
    client.views_open(trigger_id=fake.issue_trigger_id("U1"), view=modal("t" * 24))


# faults ---------------------------------------------------------------------------------
def test_ratelimited_surfaces_429_and_retry_after(fake: FakeSlack, client: WebClient) -> None:
    cid = fake.add_channel("inc-11")
    fake.faults.add("chat.postMessage", kind="ratelimited", retry_after=7, times=1)
    err = error_of(client.chat_postMessage, channel=cid, text="x")
    assert err.response.status_code == 429
    assert err.response.headers["Retry-After"] == "7"
    assert err.response.data == {"ok": False, "error": "ratelimited"}
    assert fake.messages(cid) == []
    client.chat_postMessage(channel=cid, text="x")
    assert [(c.status, c.fault) for c in fake.calls("chat.postMessage")] == [
        (429, "ratelimited"),
        (200, None),
    ]


def test_http_500_then_recovery(fake: FakeSlack, client: WebClient) -> None:
    fake.faults.add("conversations.create", kind="http_error", status=500, times=2)
    for _ in range(2):
        assert error_of(client.conversations_create, name="inc-12").response.status_code == 500
    assert fake.channel_by_name("inc-12") is None
    client.conversations_create(name="inc-12")
    assert [c.status for c in fake.calls("conversations.create")] == [500, 500, 200]


def test_error_fault_and_when_predicate(fake: FakeSlack, client: WebClient) -> None:
    fake.faults.add(
        "conversations.create",
        kind="error",
        error="fatal_error",
        when=lambda args: args.get("is_private") is True,
    )
    assert code(client.conversations_create, name="priv", is_private=True) == "fatal_error"
    assert fake.channel_by_name("priv") is None
    client.conversations_create(name="pub")
    assert fake.channel_by_name("pub") is not None


def test_drop_after_effect_double_posts_with_default_client(
    fake: FakeSlack, client: WebClient
) -> None:
    assert [type(h) for h in client.retry_handlers] == [ConnectionErrorRetryHandler]
    cid = fake.add_channel("inc-13")
    fake.faults.add("chat.postMessage", kind="drop_after_effect", times=1)
    response = client.chat_postMessage(channel=cid, text="Incident declared")
    assert response["ok"] is True
    assert [m["text"] for m in fake.messages(cid)] == ["Incident declared"] * 2
    assert [c.status for c in fake.calls("chat.postMessage")] == [0, 200]


def test_drop_after_effect_without_retries_posts_once(fake: FakeSlack) -> None:
    client = WebClient(token=fake.bot_token, base_url=fake.api_url, retry_handlers=[])
    cid = fake.add_channel("inc-14")
    fake.faults.add("chat.postMessage", kind="drop_after_effect", times=1)
    with pytest.raises(ConnectionError):  # http.client.RemoteDisconnected
        client.chat_postMessage(channel=cid, text="Incident declared")
    assert [m["text"] for m in fake.messages(cid)] == ["Incident declared"]


async def test_drop_after_effect_async_client(fake: FakeSlack) -> None:
    cid = fake.add_channel("inc-15")
    retrying = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
    handler = retrying.retry_handlers[0]
    assert isinstance(handler, AsyncConnectionErrorRetryHandler)
    handler.interval_calculator = FixedValueRetryIntervalCalculator(0.0)  # no backoff wait
    fake.faults.add("chat.postMessage", kind="drop_after_effect", times=1)
    await retrying.chat_postMessage(channel=cid, text="a")
    assert len(fake.messages(cid)) == 2
    single = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url, retry_handlers=[])
    fake.faults.add("chat.postMessage", kind="drop_after_effect", times=1)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await single.chat_postMessage(channel=cid, text="b")
    assert [m["text"] for m in fake.messages(cid)] == ["a", "a", "b"]


def test_outage_until_removed(fake: FakeSlack) -> None:
    client = WebClient(token=fake.bot_token, base_url=fake.api_url, retry_handlers=[])
    rule = fake.faults.add("*", kind="outage")
    with pytest.raises(ConnectionError):
        client.auth_test()
    with pytest.raises(ConnectionError):
        client.conversations_create(name="inc-16")
    assert fake.channel_by_name("inc-16") is None
    fake.faults.remove(rule)
    client.conversations_create(name="inc-16")
    assert [(c.method, c.status) for c in fake.calls()] == [
        ("auth.test", 0),
        ("conversations.create", 0),
        ("conversations.create", 200),
    ]


def test_latency_combines_with_other_rules(fake: FakeSlack, client: WebClient) -> None:
    fake.faults.add("*", kind="latency", seconds=0.05)
    fake.faults.add("auth.test", kind="error", error="internal_error", times=1)
    started = time.monotonic()
    assert code(client.auth_test) == "internal_error"
    assert time.monotonic() - started >= 0.05
    fake.faults.clear()
    assert client.auth_test()["ok"] is True


def test_response_url_records_and_posts_in_channel(fake: FakeSlack) -> None:
    cid = fake.add_channel("inc-17", members=["U1"])
    url = fake.response_url(cid, "U1")
    assert WebhookClient(url).send(text="only you").status_code == 200
    WebhookClient(url).send(text="for everyone", response_type="in_channel")
    assert [r["body"]["text"] for r in fake.responses()] == ["only you", "for everyone"]
    assert [m["text"] for m in fake.messages(cid)] == ["for everyone"]


def test_reset_clears_everything_but_the_bot(fake: FakeSlack, client: WebClient) -> None:
    client.conversations_create(name="inc-18")
    fake.faults.add("*", kind="outage")
    fake.reset()
    assert fake.channels() == [] and fake.calls() == [] and fake.faults.rules == []
    assert client.auth_test()["user_id"] == fake.bot_user_id


# SlackRequests against a real Bolt app ------------------------------------------------------
SIGNING_SECRET = "fake-signing-secret"


@pytest.fixture
async def bolt(fake: FakeSlack) -> AsyncIterator[tuple[SlackRequests, list[dict[str, Any]]]]:
    client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
    app = AsyncApp(signing_secret=SIGNING_SECRET, client=client, process_before_response=True)
    seen: list[dict[str, Any]] = []

    @app.command("/incident")
    async def declare(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        seen.append(body)
        view = modal(callback_id="declare", private_metadata=body["channel_id"])
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.view("declare")
    async def submitted(ack: Any, view: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        title = view["state"]["values"]["t"]["title"]["value"]
        await client.chat_postMessage(channel=view["private_metadata"], text=f"Declared: {title}")

    @app.shortcut("declare_incident")
    @app.shortcut("declare_from_message")
    @app.action("ack_page")
    async def record(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        seen.append(body)

    runner = web.AppRunner(app.web_app(path="/slack/events"))
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/slack/events"
    yield SlackRequests(url, SIGNING_SECRET, fake=fake, team_id=fake.team_id), seen
    await runner.cleanup()


async def test_slash_command_modal_and_submission(
    fake: FakeSlack, bolt: tuple[SlackRequests, list[dict[str, Any]]]
) -> None:
    sr, seen = bolt
    cid = fake.add_channel("general", members=["U1"])
    res = await sr.slash_command("/incident", text="db", user_id="U1", channel_id=cid)
    assert res.status == 200
    assert (seen[0]["command"], seen[0]["user_name"], seen[0]["channel_name"]) == (
        "/incident",
        "alice",
        "general",
    )
    (opened,) = fake.views()
    values = {"t": {"title": {"type": "plain_text_input", "value": "DB down"}}}
    res = await sr.view_submission(opened, user_id="U1", values=values)
    assert res.status == 200
    assert [m["text"] for m in fake.messages(cid)] == ["Declared: DB down"]


async def test_shortcuts_and_actions_reach_bolt(
    fake: FakeSlack, bolt: tuple[SlackRequests, list[dict[str, Any]]]
) -> None:
    sr, seen = bolt
    cid = fake.add_channel("ops", members=["U1"])
    ts = fake.add_message(cid, "it's broken", user="U2")
    message = {"ts": ts, "text": "it's broken", "user": "U2"}
    assert (await sr.global_shortcut("declare_incident", user_id="U1")).status == 200
    res = await sr.message_shortcut(
        "declare_from_message", user_id="U1", channel_id=cid, message=message
    )
    assert res.status == 200
    action = {"action_id": "ack_page", "block_id": "b", "type": "button", "value": "1"}
    res = await sr.block_actions(actions=[action], user_id="U1", channel_id=cid, message=message)
    assert res.status == 200
    assert [b["type"] for b in seen] == ["shortcut", "message_action", "block_actions"]
    assert seen[1]["message"]["ts"] == ts and seen[2]["container"]["channel_id"] == cid


async def test_forged_and_stale_requests_are_rejected(
    fake: FakeSlack, bolt: tuple[SlackRequests, list[dict[str, Any]]]
) -> None:
    sr, seen = bolt
    forged = await sr.global_shortcut("declare_incident", user_id="U1", signature="v0=bad")
    stale = await sr.global_shortcut("declare_incident", user_id="U1", timestamp=1)
    assert (forged.status, stale.status) == (401, 401)
    retried = await sr.global_shortcut("declare_incident", user_id="U1", retry_num=1)
    assert retried.status == 200 and len(seen) == 1
    assert sign("s", "1", "b") == sign("s", "1", "b") != sign("s", "2", "b")
