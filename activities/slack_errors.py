"""How a Slack error maps onto Temporal's retries: one place, so every activity agrees."""

from __future__ import annotations

from datetime import timedelta

from slack_sdk.errors import SlackApiError
from temporalio.exceptions import ApplicationError

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


def error_code(err: SlackApiError) -> str:
    data = err.response.data if isinstance(err.response.data, dict) else {}
    return str(data.get("error", f"http_{err.response.status_code}"))


def describe(code: str) -> str:
    return REFUSALS.get(code, code)


def wait_if_rate_limited(err: SlackApiError) -> None:
    """Turn a 429 into a retryable ApplicationError that waits Slack's Retry-After."""
    if err.response.status_code != 429:
        return
    headers = {key.lower(): value for key, value in err.response.headers.items()}
    retry_after = int(headers.get("retry-after", "1") or 1)
    raise ApplicationError(
        "Slack rate limited the call",
        type="SlackRateLimited",
        next_retry_delay=timedelta(seconds=max(retry_after, 1)),
    ) from err


def raise_if_not_permitted(err: SlackApiError) -> None:
    """A permission refusal becomes a non-retryable error carrying the human reason."""
    reason = NOT_PERMITTED.get(error_code(err))
    if reason is not None:
        raise ApplicationError(reason, type="SlackNotPermitted", non_retryable=True) from err


def refusal(err: SlackApiError) -> str | None:
    """The human reason when Slack refused for good; None for anything worth retrying."""
    wait_if_rate_limited(err)
    return REFUSALS.get(error_code(err))
