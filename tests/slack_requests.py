"""Send requests into the bot exactly as Slack does: signed slash commands and interactions.

    sr = SlackRequests(bot_url, signing_secret, fake=fake)
    res = await sr.slash_command("/incident", text="db down", user_id="U1", channel_id=cid)
    view = fake.views()[-1]
    res = await sr.view_submission(view, user_id="U1", values={...})

trigger_ids come from ``fake.issue_trigger_id`` (3 s, single use) and response_urls
from ``fake.response_url``, so whatever the bot does with them lands on the fake.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import aiohttp

if TYPE_CHECKING:
    from tests.fakes.slack import FakeSlack

VERIFICATION_TOKEN = "fake-verification-token"  # deprecated, but Slack still sends it
API_APP_ID = "A0FAKEAPP1"
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
_event_ids = itertools.count(1)


def sign(secret: str, timestamp: str, body: str) -> str:
    """Slack's v0 request signature (same algorithm as slack_sdk.signature)."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class BotResponse:
    status: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def json(self) -> Any:
        """The body decoded as JSON (None for an empty ack)."""
        return json.loads(self.text) if self.text.strip() else None


def ack_message(response: BotResponse) -> tuple[str, str]:
    """(text, response_type) of a slash command's immediate answer; Slack shows a plain-text body,
    or JSON without a response_type, to the invoking user only."""
    assert response.status == 200, response.text
    if response.headers.get("Content-Type", "").startswith("application/json"):
        body = response.json
        return body["text"], body.get("response_type", "ephemeral")
    return response.text, "ephemeral"


class SlackRequests:
    def __init__(
        self,
        bot_url: str,
        signing_secret: str,
        *,
        fake: FakeSlack,
        team_id: str | None = None,
        team_domain: str = "fake",
        timeout: float = 10.0,
    ) -> None:
        self.bot_url = bot_url
        self.signing_secret = signing_secret
        self.fake = fake
        self.team_id = team_id or fake.team_id
        self.team_domain = team_domain
        self.timeout = timeout

    # transport -----------------------------------------------------------------------
    async def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | str | None = None,
        signature: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> BotResponse:
        """POST a raw body with Slack's headers; override timestamp/signature to forge."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "User-Agent": USER_AGENT,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature or sign(self.signing_secret, ts, body),
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(self.bot_url, data=body.encode(), headers=headers) as res,
        ):
            return BotResponse(res.status, await res.text(), dict(res.headers))

    async def post_payload(self, payload: dict[str, Any], **opts: Any) -> BotResponse:
        """An interactivity request: form field ``payload=<json>``."""
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded", **opts)

    # identities ----------------------------------------------------------------------
    def _user_name(self, user_id: str) -> str:
        user = self.fake.user(user_id)
        return str(user["name"]) if user else user_id.lower()

    def _user(self, user_id: str) -> dict[str, Any]:
        name = self._user_name(user_id)
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _channel(self, channel_id: str) -> dict[str, Any]:
        channel = self.fake.channel_by_id(channel_id)
        name = "directmessage" if channel is None or channel["is_im"] else channel["name"]
        return {"id": channel_id, "name": name}

    def _base(self, kind: str, user_id: str) -> dict[str, Any]:
        return {
            "type": kind,
            "token": VERIFICATION_TOKEN,
            "team": {"id": self.team_id, "domain": self.team_domain},
            "user": self._user(user_id),
            "api_app_id": API_APP_ID,
            "is_enterprise_install": False,
            "enterprise": None,
        }

    # Slack's requests ----------------------------------------------------------------
    def slash_command_fields(
        self, command: str, *, text: str = "", user_id: str, channel_id: str
    ) -> dict[str, str]:
        """A slash command's fields: the form body over HTTP, the payload in Socket Mode."""
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": self._channel(channel_id)["name"],
            "user_id": user_id,
            "user_name": self._user_name(user_id),
            "command": command,
            "text": text,
            "api_app_id": API_APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.fake.response_url(channel_id, user_id),
            "trigger_id": self.fake.issue_trigger_id(user_id),
        }

    async def slash_command(
        self, command: str, *, text: str = "", user_id: str, channel_id: str, **opts: Any
    ) -> BotResponse:
        fields = self.slash_command_fields(
            command, text=text, user_id=user_id, channel_id=channel_id
        )
        return await self.post_slash_command(fields, **opts)

    async def post_slash_command(self, fields: dict[str, str], **opts: Any) -> BotResponse:
        """Deliver a slash command's fields (again, for a redelivery: same trigger_id)."""
        return await self.post(urlencode(fields), "application/x-www-form-urlencoded", **opts)

    async def global_shortcut(self, callback_id: str, *, user_id: str, **opts: Any) -> BotResponse:
        payload = self._base("shortcut", user_id)
        payload.update(
            callback_id=callback_id,
            trigger_id=self.fake.issue_trigger_id(user_id),
            action_ts=f"{time.time():.6f}",
        )
        return await self.post_payload(payload, **opts)

    async def message_shortcut(
        self,
        callback_id: str,
        *,
        user_id: str,
        channel_id: str,
        message: dict[str, Any],
        **opts: Any,
    ) -> BotResponse:
        payload = self._base("message_action", user_id)
        payload.update(
            callback_id=callback_id,
            trigger_id=self.fake.issue_trigger_id(user_id),
            action_ts=f"{time.time():.6f}",
            channel=self._channel(channel_id),
            message_ts=message["ts"],
            message={"type": "message", **message},
            response_url=self.fake.response_url(channel_id, user_id),
        )
        return await self.post_payload(payload, **opts)

    async def view_submission(
        self, view: dict[str, Any], *, user_id: str, values: dict[str, Any], **opts: Any
    ) -> BotResponse:
        """Submit a view: a ``fake.views()`` entry or a Slack view object; values = state.values."""
        inner = view.get("view")
        slack_view = dict(inner if isinstance(inner, dict) else view)
        slack_view["state"] = {"values": values}
        payload = self._base("view_submission", user_id)
        payload.update(
            trigger_id=self.fake.issue_trigger_id(user_id),
            view=slack_view,
            response_urls=[],
        )
        return await self.post_payload(payload, **opts)

    async def block_actions(
        self,
        *,
        actions: list[dict[str, Any]],
        user_id: str,
        channel_id: str | None = None,
        message: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
        state_values: dict[str, Any] | None = None,
        **opts: Any,
    ) -> BotResponse:
        """Button clicks etc. on a message (channel_id + message) or in a view."""
        now = f"{time.time():.6f}"
        payload = self._base("block_actions", user_id)
        payload.update(
            trigger_id=self.fake.issue_trigger_id(user_id),
            actions=[{"action_ts": now, **a} for a in actions],
            state={"values": state_values or {}},
        )
        if view is not None:
            inner = view.get("view")
            slack_view = dict(inner if isinstance(inner, dict) else view)
            slack_view["state"] = {"values": state_values or {}}
            payload.update(container={"type": "view", "view_id": slack_view["id"]}, view=slack_view)
        if channel_id is not None and message is not None:
            payload.update(
                container={
                    "type": "message",
                    "message_ts": message["ts"],
                    "channel_id": channel_id,
                    "is_ephemeral": False,
                },
                channel=self._channel(channel_id),
                message={"type": "message", **message},
                response_url=self.fake.response_url(channel_id, user_id, message_ts=message["ts"]),
            )
        return await self.post_payload(payload, **opts)

    async def event(self, event: dict[str, Any], **opts: Any) -> BotResponse:
        """An Events API ``event_callback`` (JSON body) wrapping ``event``."""
        body = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "api_app_id": API_APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev0FAKE{next(_event_ids):06d}",
            "event_time": int(time.time()),
            "authorizations": [
                {"team_id": self.team_id, "user_id": self.fake.bot_user_id, "is_bot": True}
            ],
        }
        return await self.post(json.dumps(body), "application/json", **opts)
