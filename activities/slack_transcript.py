"""The incident channel's messages and threads as plain text, for the postmortem's timeline, and
people's names as Slack shows them (the timeline's actors, the Jira issue's comments).

Paginated history, each thread's replies under its message, authors resolved to names, Slack
markup turned into plain text and links. Fireline's own messages are left out: the incident's
timeline already says what they announced. Reading is paged by hand, so that a retried attempt
goes on from the page where the failed one stopped (transcript_progress.py).
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
from activities.transcript_progress import Checkpoint, Said

# What one transcript may weigh: it travels to the doc activity through the workflow's history,
# whose payloads Temporal caps at 2 MB.
MAX_CHARS = 1_000_000
PAGE = 200  # messages per history or replies call
# Message subtypes that are Slack's own notices, not what people said.
_NOTICES = {"channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name"}


class SlackTranscriptActivities:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._names: dict[str, str] = {}
        self._me: str | None = None

    @activity.defn(name="channel_transcript")
    async def channel_transcript(self, input: TranscriptInput) -> Transcript:
        """The channel since `input.oldest`. A long channel takes many calls: each attempt goes
        on from where the one before it stopped (transcript_progress.py)."""
        checkpoint = Checkpoint()
        try:
            try:
                return await self._transcript(input, checkpoint)
            except SlackApiError as err:
                classify(err).give_up(err)
        except BaseException:
            checkpoint.save()  # for the next attempt, which goes on from here
            raise

    @activity.defn(name="user_names")
    async def user_names(self, input: UserNamesInput) -> UserNames:
        """Each person's name, as the timeline names them; the id for someone Slack does not
        know."""
        try:
            return UserNames(names={user: await self._name(user) for user in input.user_ids})
        except SlackApiError as err:
            classify(err).give_up(err)

    async def _transcript(self, input: TranscriptInput, checkpoint: Checkpoint) -> Transcript:
        if self._me is None:
            self._me = str((await self._client.auth_test())["user_id"])
        read = checkpoint.read
        while not read.history_done:
            page = await self._client.conversations_history(
                channel=input.channel_id,
                oldest=f"{input.oldest.timestamp():.6f}",
                limit=PAGE,
                cursor=read.history_cursor or None,
            )
            for message in page["messages"]:
                if message.get("reply_count"):
                    read.threads.append(message["ts"])
            read.said += self._said(page["messages"])
            read.history_cursor = _next_cursor(page)
            read.history_done = not read.history_cursor
            checkpoint.beat()
        threads = sorted(read.threads, key=float)
        while read.threads_read < len(threads):
            thread = threads[read.threads_read]
            page = await self._client.conversations_replies(
                channel=input.channel_id, ts=thread, limit=PAGE, cursor=read.thread_cursor or None
            )
            replies = [reply for reply in page["messages"] if reply["ts"] != thread]
            read.said += self._said(replies, thread)
            read.thread_cursor = _next_cursor(page)
            read.threads_read += 0 if read.thread_cursor else 1
            checkpoint.beat()
        said = read.in_order()
        for user in {*input.user_ids, *(m.user for m, _ in said)} - {""}:
            await self._name(user)
            checkpoint.beat()
        lines = [
            TranscriptMessage(
                at=datetime.fromtimestamp(float(m.ts), UTC),
                author=self._names.get(m.user, m.username or "someone"),
                text=plain_text(m.text, self._names),
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

    def _said(self, messages: list[dict[str, Any]], thread: str | None = None) -> list[Said]:
        """What people said among `messages`: Fireline's own and Slack's notices left out."""
        return [
            Said(
                ts=str(m["ts"]),
                user=str(m.get("user", "")),
                username=str(m.get("username", "")),
                text=str(m.get("text", "")),
                thread=thread,
            )
            for m in messages
            if m.get("user") != self._me and m.get("subtype") not in _NOTICES
        ]

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


def _next_cursor(page: Any) -> str:
    return str((page.get("response_metadata") or {}).get("next_cursor") or "")
