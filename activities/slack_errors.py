"""How a Slack error maps onto Temporal's retries: one place, so every activity agrees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import NoReturn

from slack_sdk.errors import SlackApiError
from temporalio.exceptions import ApplicationError

from fireline.telemetry.slack_api import error_code

# Codes that mean "this target will not accept it": retrying cannot help, the incident goes on and
# the problem is reported once in the incident channel.
REFUSALS = {
    "not_in_channel": "the bot is not a member of that channel (invite it with /invite)",
    "channel_not_found": "the channel does not exist or the bot cannot see it",
    "is_archived": "the channel is archived",
    "user_not_found": "no such user",
    "user_disabled": "the user is deactivated",
    "user_is_deactivated": "the user is deactivated",
    "cant_invite": "Slack does not allow inviting this user",
    "user_is_restricted": "the user is a guest who cannot be added",
    "ura_max_channels": "the guest is already in as many channels as allowed",
    "cannot_dm_bot": "bots cannot receive direct messages",
    "messages_tab_disabled": "the user has turned off direct messages from apps",
    "restricted_action": "the workspace does not allow the bot to do this",
    "too_many_pins": "the channel already has as many pins as Slack allows",
    "not_pinnable": "Slack does not allow pinning this message",
}


# Codes that mean the app may not do this at all until an admin changes something (a scope, a
# workspace setting, a revoked token): retrying on Slack's schedule would only hide it.
NOT_PERMITTED = {
    "restricted_action": "the workspace does not let the bot create channels",
    "cannot_create_channel": "Slack did not allow creating the channel",
    "missing_scope": "the Slack app lacks a scope it needs (reinstall it from the manifest)",
    "not_allowed_token_type": "the configured token is not a bot token",
    "invalid_auth": "the bot token is not valid",
    "not_authed": "no bot token is configured",
    "token_revoked": "the bot token was revoked",
    "account_inactive": "the bot's account is inactive",
}


@dataclass(frozen=True)
class SlackFailure:
    """What one Slack error means for the activity that met it."""

    code: str
    # Slack refused for good because of the target (the channel, the user): give up and tell.
    refusal: str | None
    # The app may not do this at all until an admin acts (a scope, a token, a workspace setting).
    not_permitted: str | None
    # Rate limited: try again after this long (Slack's Retry-After).
    retry_after: timedelta | None

    def retry(self, err: SlackApiError) -> NoReturn:
        """Fail this attempt so Temporal tries again, after Retry-After when rate limited."""
        if self.retry_after is not None:
            raise ApplicationError(
                "Slack rate limited the call",
                type="SlackRateLimited",
                next_retry_delay=self.retry_after,
            ) from err
        raise err

    def give_up(self, err: SlackApiError) -> NoReturn:
        """Fail the step for good, with the human reason, when retrying cannot help."""
        if self.not_permitted is not None:
            raise ApplicationError(
                self.not_permitted, type="SlackNotPermitted", non_retryable=True
            ) from err
        if self.refusal is not None:
            raise ApplicationError(self.refusal, type="SlackRefused", non_retryable=True) from err
        self.retry(err)


def classify(err: SlackApiError) -> SlackFailure:
    """The one reading of a Slack error: its code, and whether to retry, wait or give up."""
    code = error_code(err)
    retry_after = None
    if err.response.status_code == 429:
        headers = {key.lower(): value for key, value in err.response.headers.items()}
        retry_after = timedelta(seconds=max(int(headers.get("retry-after", "1") or 1), 1))
    return SlackFailure(code, REFUSALS.get(code), NOT_PERMITTED.get(code), retry_after)


def describe(code: str) -> str:
    """A refusal's human reason, or the code itself when there is none."""
    return REFUSALS.get(code, code)
