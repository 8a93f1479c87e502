"""The incident channel's messages and threads as plain text, for the postmortem's timeline, and
people's names as Slack shows them (the timeline's actors, the Jira issue's comments).

Paginated history, each thread's replies under its message, authors resolved to names, Slack
markup turned into plain text and links. Fireline's own messages are left out: the incident's
timeline already says what they announced. Reading twice is harmless, so a retry needs no care.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from temporalio import activity

from activities.slack_errors import classify
from activities.slack_plain import plain_text
from activities.tracking_types import (
    Transcript,
    TranscriptInput,
    TranscriptMessage,
    UserNames,
    UserNamesInput,
)

# What one transcript may weigh: it travels to the doc activity through the workflow's history,
# whose payloads Temporal caps at 2 MB.
MAX_CHARS = 1_000_000
# Message subtypes that are Slack's own notices, not what people said.
_NOTICES = {"channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name"}


class SlackTranscriptActivities:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._names: dict[str, str] = {}
        self._me: str | None = None

    @activity.defn(name="channel_transcript")
    async def channel_transcript(self, input: TranscriptInput) -> Transcript:
        try:
            return await self._transcript(input)
        except SlackApiError as err:
            classify(err).give_up(err)

    @activity.defn(name="user_names")
    async def user_names(self, input: UserNamesInput) -> UserNames:
        """Each person's name, as the timeline names them; the id for someone Slack does not
        know."""
        try:
            return UserNames(names={user: await self._name(user) for user in input.user_ids})
        except SlackApiError as err:
            classify(err).give_up(err)

    async def _transcript(self, input: TranscriptInput) -> Transcript:
        if self._me is None:
            self._me = str((await self._client.auth_test())["user_id"])
        oldest = f"{input.oldest.timestamp():.6f}"
        top = await self._pages(
            self._client.conversations_history, channel=input.channel_id, oldest=oldest
        )
        messages: list[tuple[dict[str, Any], bool]] = []
        for message in sorted(top, key=lambda m: float(m["ts"])):
            messages.append((message, False))
            if message.get("reply_count"):
                replies = await self._pages(
                    self._client.conversations_replies, channel=input.channel_id, ts=message["ts"]
                )
                messages += [(reply, True) for reply in replies if reply["ts"] != message["ts"]]
        said = [(m, reply) for m, reply in messages if self._said_by_people(m)]
        for user in {*input.user_ids, *(m.get("user", "") for m, _ in said)} - {""}:
            await self._name(user)
        lines = [
            TranscriptMessage(
                at=datetime.fromtimestamp(float(m["ts"]), UTC),
                author=self._names.get(m.get("user", ""), m.get("username", "someone")),
                text=plain_text(str(m.get("text", "")), self._names),
                reply=reply,
            )
            for m, reply in said
        ]
        kept, weight = len(lines), 0
        for at, line in enumerate(lines):
            weight += len(line.text) + len(line.author) + 40
            if weight > MAX_CHARS:
                kept = at
                break
        names = {user: self._names[user] for user in input.user_ids if user in self._names}
        return Transcript(messages=lines[:kept], names=names, left_out=len(lines) - kept)

    def _said_by_people(self, message: dict[str, Any]) -> bool:
        return message.get("user") != self._me and message.get("subtype") not in _NOTICES

    async def _pages(self, method: Any, **args: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        pages = await method(limit=200, **args)
        async for page in pages:  # slack_sdk follows next_cursor
            out += page["messages"]
        return out

    async def _name(self, user: str) -> str:
        if user not in self._names:
            try:
                info = (await self._client.users_info(user=user))["user"]
                profile = info.get("profile") or {}
                self._names[user] = str(
                    profile.get("display_name") or info.get("real_name") or info.get("name") or user
                )
            except SlackApiError as err:
                if classify(err).code != "user_not_found":
                    raise
                self._names[user] = user
        return self._names[user]
