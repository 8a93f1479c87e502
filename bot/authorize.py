"""Who the bot is (auth.test), asked again until Slack answers.

Bolt's own single-workspace authorization says "reinstall the app" whenever auth.test fails,
even when Slack was only unreachable for a moment. Here only a refused token says so; a failure
that may pass is raised as SlackUnreachable and answered "try again" by `unreachable_response`.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

# auth.test errors that no retry can fix: the token itself is bad.
TOKEN_REFUSED = frozenset({"invalid_auth", "token_revoked", "account_inactive", "not_authed"})
TOKEN_REFUSED_MESSAGE = (
    ":warning: Slack refused Fireline's bot token (revoked or invalid). An admin must reinstall "
    "the app and set the new SLACK_BOT_TOKEN."
)
UNREACHABLE_MESSAGE = ":warning: Fireline cannot reach Slack right now. Try again in a minute."


class SlackUnreachable(Exception):
    """auth.test failed in a way that may pass: network, 5xx, rate limit."""


class BotTokenAuthorize(AsyncAuthorize):
    """Authorizes every request with one bot token; remembers the identity once Slack gave it."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client  # holds the bot token
        self._identity: AuthorizeResult | None = None

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult:
        if self._identity is None:
            self._identity = await self._ask_slack()
        return self._identity

    async def _ask_slack(self) -> AuthorizeResult:
        try:
            identity = await self._client.auth_test()
        except SlackApiError as err:
            code = err.response.get("error")
            if code in TOKEN_REFUSED:
                raise  # Bolt logs it and answers TOKEN_REFUSED_MESSAGE
            raise SlackUnreachable(f"auth.test: {code or err.response.status_code}") from err
        except (aiohttp.ClientError, TimeoutError) as err:
            raise SlackUnreachable(f"auth.test: {err!r}") from err
        return AuthorizeResult.from_auth_test_response(
            auth_test_response=identity, bot_token=self._client.token
        )


def unreachable_response(body: dict[str, Any]) -> BoltResponse:
    """A slash command shows our answer to its user; for anything else Slack shows its own
    "try again" on a 503 (a modal stays open with what was typed) and redelivers events."""
    if "command" in body:
        return BoltResponse(status=200, body=UNREACHABLE_MESSAGE)
    return BoltResponse(status=503, body="")
