"""Slack activities: each does one idempotent thing through the Web API.

Idempotency is find-before-create: a channel is found by name (and checked to be ours), a message by
the metadata Fireline stores on it, a bookmark by its link. The lookups run on retries, the only
attempts that can follow an earlier effect. The client has no retry handlers of its
own: slack_sdk re-sends a POST whose connection dropped, which double-posts; Temporal retries the
whole activity instead, and the activity looks before it acts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from temporalio import activity

from activities.slack_errors import classify, describe
from activities.types import (
    ArchiveChannelInput,
    BookmarkInput,
    CreateChannelInput,
    CreateStatusChannelInput,
    DescribeChannelInput,
    FindUsersInput,
    FoundUsers,
    InviteInput,
    MessageResult,
    PinInput,
    RenameChannelInput,
    StepResult,
    TellUserInput,
    UpsertMessageInput,
)
from fireline.channel_name import incident_channel_name, status_channel_name
from fireline.models import ChannelRef

METADATA_EVENT = "fireline_incident"
# Invite refusals about the channel, not the people: retried (the bot created the channel).
CHANNEL_REFUSALS = {"not_in_channel", "channel_not_found", "is_archived"}
# Names tried (`-2`, `-3`, ...) while others' channels hold them, before the attempt fails.
MAX_NAME_ATTEMPTS = 20


def _retrying() -> bool:
    """Only a retry can find its own earlier effect; a first attempt skips the lookup (and spares
    Slack's rate limits: conversations.history is Tier 3)."""
    return activity.info().attempt > 1


class SlackActivities:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._identity: dict[str, str] | None = None
        # The bot's DM with each user, by user ID: Slack keeps one per pair, under one ID.
        self._dms: dict[str, str] = {}

    async def _me(self) -> dict[str, str]:
        if self._identity is None:
            auth = await self._client.auth_test()
            self._identity = {"user_id": str(auth["user_id"]), "url": str(auth["url"])}
        return self._identity

    async def _channel_ref(self, channel: dict[str, Any]) -> ChannelRef:
        me = await self._me()
        url = f"{me['url'].rstrip('/')}/archives/{channel['id']}"
        return ChannelRef(id=channel["id"], name=channel["name"], url=url)

    @activity.defn(name="create_incident_channel")
    async def create_incident_channel(self, input: CreateChannelInput) -> ChannelRef:
        """Create the channel, or adopt the one an earlier attempt created.

        `name_taken` carries no channel id, so the channel is looked up by name; it is ours only if
        the bot created it after the incident was declared, with the same privacy. A private
        incident never gets a public channel: only `is_private=True` creates are ever sent.
        A refusal no retry can fix (a missing scope, a workspace restriction) is non-retryable,
        so the workflow can say so.
        """
        names = (
            incident_channel_name(input.number, input.title, attempt=attempt)
            for attempt in range(1, MAX_NAME_ATTEMPTS + 1)
        )
        return await self._create_or_adopt(names, input.private, input.not_before, input.number)

    @activity.defn(name="create_status_channel")
    async def create_status_channel(self, input: CreateStatusChannelInput) -> ChannelRef:
        """The stakeholders' public channel `inc-<n>-status`, created or adopted as the incident
        channel is (never the incident channel itself)."""
        names = (
            status_channel_name(input.number, attempt=attempt)
            for attempt in range(1, MAX_NAME_ATTEMPTS + 1)
        )
        return await self._create_or_adopt(
            names, False, input.not_before, input.number, not_id=input.incident_channel_id
        )

    async def _create_or_adopt(
        self,
        names: Iterable[str],
        private: bool,
        not_before: datetime,
        number: int,
        *,
        not_id: str | None = None,
    ) -> ChannelRef:
        me = await self._me()
        for name in names:
            try:
                created = await self._client.conversations_create(name=name, is_private=private)
                return await self._channel_ref(created["channel"])
            except SlackApiError as err:
                failure = classify(err)
                if failure.not_permitted:
                    failure.give_up(err)
                if failure.code != "name_taken":
                    failure.retry(err)
            existing = await self._find_channel(name)
            if (
                existing is not None
                and existing.get("id") != not_id
                and existing.get("creator") == me["user_id"]
                and bool(existing.get("is_private")) == private
                and not existing.get("is_archived")
                and float(existing.get("created", 0)) >= not_before.timestamp() - 60
            ):
                return await self._channel_ref(existing)
        raise RuntimeError(f"every channel name for INC-{number} is taken")

    async def _find_channel(self, name: str) -> dict[str, Any] | None:
        # slack_sdk follows next_cursor when its response is iterated.
        pages = await self._client.conversations_list(
            types="public_channel,private_channel", limit=1000
        )
        async for page in pages:
            for channel in page["channels"]:
                if channel["name"] == name:
                    return dict(channel)
        return None

    @activity.defn(name="rename_incident_channel")
    async def rename_incident_channel(self, input: RenameChannelInput) -> ChannelRef:
        """Name the channel after the incident's new number, as a new channel would be named.

        A retry first looks whether an earlier attempt already did. A channel that is gone or
        archived is not retried.
        """
        names = [
            incident_channel_name(input.number, input.title, attempt=attempt)
            for attempt in range(1, MAX_NAME_ATTEMPTS + 1)
        ]
        if _retrying():
            current = await self._client.conversations_info(channel=input.channel_id)
            if current["channel"]["name"] in names:
                return await self._channel_ref(current["channel"])
        for name in names:
            try:
                renamed = await self._client.conversations_rename(
                    channel=input.channel_id, name=name
                )
                return await self._channel_ref(renamed["channel"])
            except SlackApiError as err:
                failure = classify(err)
                if failure.code != "name_taken":
                    failure.give_up(err)
        raise RuntimeError(f"every channel name for INC-{input.number} is taken")

    @activity.defn(name="describe_channel")
    async def describe_channel(self, input: DescribeChannelInput) -> None:
        # Setting the same topic and description twice is harmless: a retry needs no lookup.
        await self._client.conversations_setTopic(channel=input.channel_id, topic=input.topic)
        await self._client.conversations_setPurpose(channel=input.channel_id, purpose=input.purpose)

    @activity.defn(name="upsert_message")
    async def upsert_message(self, input: UpsertMessageInput) -> MessageResult:
        """Post the incident's message for this step, or update it if it exists; pin if asked."""
        try:
            channel = await self._resolve_channel(input.channel)
            ts = input.ts or (await self._find_message(channel, input) if _retrying() else None)
            if ts is None:
                posted = await self._client.chat_postMessage(
                    channel=channel,
                    thread_ts=input.thread_ts,
                    text=input.text,
                    blocks=input.blocks,
                    metadata={
                        "event_type": METADATA_EVENT,
                        "event_payload": {"incident_id": input.incident_id, "step": input.step},
                    },
                    unfurl_links=False,
                )
                ts = str(posted["ts"])
            else:
                await self._client.chat_update(
                    channel=channel, ts=ts, text=input.text, blocks=input.blocks
                )
        except SlackApiError as err:
            failure = classify(err)
            if failure.refusal is None:
                failure.retry(err)
            return MessageResult(problem=failure.refusal)
        pinned = await self._pinned_in_passing(channel, ts) if input.pin else True
        return MessageResult(channel=channel, ts=ts, pin_failed=not pinned)

    async def _pinned_in_passing(self, channel: str, ts: str) -> bool:
        """Pin without failing the message: a refused or failing pin is retried by the workflow
        as a step of its own, so the message is never posted twice for it."""
        try:
            await self._pin(channel, ts)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as err:
            activity.logger.warning("pin in passing failed, leaving it to pin_message: %s", err)
            return False
        return True

    async def _resolve_channel(self, target: str) -> str:
        """A user ID means the bot's DM with that user, opened once per user: the reporter and
        the commander of one incident are often those of the next."""
        if not target.startswith(("U", "W")):
            return target
        if target not in self._dms:
            opened = await self._client.conversations_open(users=target)
            self._dms[target] = str(opened["channel"]["id"])
        return self._dms[target]

    async def _find_message(self, channel: str, input: UpsertMessageInput) -> str | None:
        me = await self._me()
        oldest = str(input.not_before.timestamp() - 60)
        # A reply lives in its thread, which channel history does not list.
        pages = await (
            self._client.conversations_replies(
                channel=channel,
                ts=input.thread_ts,
                oldest=oldest,
                include_all_metadata=True,
                limit=200,
            )
            if input.thread_ts
            else self._client.conversations_history(
                channel=channel, oldest=oldest, include_all_metadata=True, limit=200
            )
        )
        async for page in pages:
            for message in page["messages"]:
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if (
                    metadata.get("event_type") == METADATA_EVENT
                    and payload.get("incident_id") == input.incident_id
                    and payload.get("step") == input.step
                    and message.get("user") == me["user_id"]
                ):
                    return str(message["ts"])
        return None

    async def _pin(self, channel: str, ts: str) -> None:
        try:
            await self._client.pins_add(channel=channel, timestamp=ts)
        except SlackApiError as err:
            if classify(err).code != "already_pinned":
                raise

    @activity.defn(name="pin_message")
    async def pin_message(self, input: PinInput) -> StepResult:
        """Pin a message; pinning it again is harmless (`already_pinned`), so no lookup."""
        try:
            await self._pin(input.channel, input.ts)
        except SlackApiError as err:
            failure = classify(err)
            if failure.refusal is None:
                failure.retry(err)
            return StepResult(problems=[f"Could not pin the summary: {failure.refusal}"])
        return StepResult()

    @activity.defn(name="tell_user")
    async def tell_user(self, input: TellUserInput) -> StepResult:
        """An ephemeral for one person in a channel. Ephemerals cannot be looked up, so a retry
        after a lost answer may show it twice: harmless for a note meant for one reader."""
        try:
            await self._client.chat_postEphemeral(
                channel=input.channel, user=input.user, text=input.text
            )
        except SlackApiError as err:
            failure = classify(err)
            if failure.refusal is None and failure.code != "user_not_in_channel":
                failure.retry(err)
            return StepResult(problems=[f"Could not tell <@{input.user}>: {failure.code}"])
        return StepResult()

    @activity.defn(name="archive_channel")
    async def archive_channel(self, input: ArchiveChannelInput) -> None:
        """Archive the channel; one archived already (a retry, a person) is done."""
        try:
            await self._client.conversations_archive(channel=input.channel_id)
        except SlackApiError as err:
            failure = classify(err)
            if failure.code != "already_archived":
                failure.give_up(err)

    @activity.defn(name="add_bookmark")
    async def add_bookmark(self, input: BookmarkInput) -> None:
        if _retrying():
            listed = await self._client.bookmarks_list(channel_id=input.channel_id)
            bookmarks: list[dict[str, Any]] = listed.get("bookmarks", [])
            if any(mark.get("link") == input.link for mark in bookmarks):
                return
        await self._client.bookmarks_add(
            channel_id=input.channel_id, title=input.title, type="link", link=input.link
        )

    @activity.defn(name="invite_members")
    async def invite_members(self, input: InviteInput) -> StepResult:
        """Invite everyone who can be invited; report each who cannot, never fail for them."""
        me = await self._me()
        users = [user for user in dict.fromkeys(input.user_ids) if user != me["user_id"]]
        if not users:
            return StepResult()
        try:
            response = await self._client.conversations_invite(
                channel=input.channel_id, users=",".join(users), force=True
            )
            failures = list(response.get("errors") or [])
        except SlackApiError as err:
            failure = classify(err)
            if failure.code == "already_in_channel":
                return StepResult()
            failures = list(err.response.get("errors") or [])
            # Without per-user errors, a refusal about users applies to all of them; a problem
            # with the channel itself, or anything transient, is retried.
            if not failures:
                if failure.code in CHANNEL_REFUSALS or failure.refusal is None:
                    failure.retry(err)
                failures = [{"user": user, "error": failure.code} for user in users]
        problems = [
            f"Could not invite <@{failure['user']}>: {describe(str(failure.get('error')))}"
            for failure in failures
            if failure.get("error") != "already_in_channel"
        ]
        return StepResult(problems=problems)

    @activity.defn(name="find_users_by_email")
    async def find_users_by_email(self, input: FindUsersInput) -> FoundUsers:
        """The active Slack user of each email (users.lookupByEmail); a read, safe to repeat."""
        found = FoundUsers()
        for email in dict.fromkeys(input.emails):
            try:
                response = await self._client.users_lookupByEmail(email=email)
            except SlackApiError as err:
                failure = classify(err)
                if failure.code != "users_not_found":
                    failure.give_up(err)
                found.missing.append(email)
                continue
            user = response["user"]
            if user.get("deleted") or user.get("is_bot"):
                found.missing.append(email)
            else:
                found.user_ids[email] = str(user["id"])
        return found
