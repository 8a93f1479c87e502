"""The workspace model: users, conversations, messages, pins, bookmarks, views.

Every method here assumes the caller holds the FakeSlack lock.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .args import SlackError

Clock = Callable[[], float]

# Message subtypes Slack itself posts into channels (joins, topic changes...).
SYSTEM_SUBTYPES = frozenset(
    {"channel_join", "channel_topic", "channel_purpose", "channel_name", "channel_archive"}
)


@dataclass
class User:
    id: str
    name: str
    deleted: bool = False
    is_bot: bool = False
    email: str | None = None


@dataclass
class Topic:
    value: str = ""
    creator: str = ""
    last_set: int = 0


@dataclass
class Channel:
    id: str
    name: str
    created: int
    creator: str
    is_private: bool = False
    is_im: bool = False
    is_archived: bool = False
    members: list[str] = field(default_factory=list)
    topic: Topic = field(default_factory=Topic)
    purpose: Topic = field(default_factory=Topic)
    previous_names: list[str] = field(default_factory=list)
    im_user: str | None = None


@dataclass
class Message:
    channel: str
    ts: str
    user: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    metadata: dict[str, Any] | None = None
    thread_ts: str | None = None
    subtype: str | None = None
    edited: dict[str, str] | None = None
    reply_count: int = 0
    reply_users: list[str] = field(default_factory=list)
    latest_reply: str | None = None
    broadcast: bool = False


@dataclass
class View:
    id: str
    user: str
    trigger_id: str | None
    hash: str
    payload: dict[str, Any]
    root_view_id: str
    previous_view_id: str | None = None


@dataclass
class Trigger:
    id: str
    user: str
    issued_at: float
    used: bool = False


def ts_key(ts: str) -> Decimal:
    try:
        return Decimal(ts)
    except (InvalidOperation, TypeError):
        raise SlackError("invalid_ts") from None


class Workspace:
    """One Slack workspace as seen by one bot user."""

    def __init__(self, clock: Clock, team_id: str, bot_user_id: str) -> None:
        self.clock = clock
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = "B0FAKEBOT1"
        self.app_id = "A0FAKEAPP1"
        # Like Slack's, ids are never reused, not even after a reset: a view id names an incident.
        self._ids = itertools.count(1)
        self.reset()

    def reset(self) -> None:
        self._last_ts = Decimal(0)
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: dict[str, list[Message]] = {}
        self.pins: dict[str, list[str]] = {}
        self.bookmarks: dict[str, list[dict[str, Any]]] = {}
        self.ims: dict[str, str] = {}
        self.views: dict[str, View] = {}
        self.view_stacks: dict[str, list[str]] = {}
        self.triggers: dict[str, Trigger] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.response_urls: dict[str, dict[str, Any]] = {}
        self.responses: list[dict[str, Any]] = []
        self.users[self.bot_user_id] = User(self.bot_user_id, "fireline", is_bot=True)

    # ids and time -----------------------------------------------------------------
    def now(self) -> float:
        return self.clock()

    def new_id(self, prefix: str) -> str:
        return f"{prefix}0{next(self._ids):08X}"

    def next_ts(self) -> str:
        """A unique, strictly increasing message ts derived from the clock."""
        candidate = Decimal(f"{self.now():.6f}")
        if candidate <= self._last_ts:
            candidate = self._last_ts + Decimal("0.000001")
        self._last_ts = candidate
        return f"{candidate:.6f}"

    def new_hash(self) -> str:
        return f"{int(self.now())}.{secrets.token_hex(4)}"

    def issue_trigger(self, user_id: str) -> str:
        trigger_id = f"{int(self.now())}.{next(self._ids)}.{secrets.token_hex(16)}"
        self.triggers[trigger_id] = Trigger(trigger_id, user_id, self.now())
        return trigger_id

    # conversations ----------------------------------------------------------------
    def add_channel(self, name: str, *, is_private: bool, creator: str) -> Channel:
        channel = Channel(self.new_id("C"), name, int(self.now()), creator, is_private=is_private)
        self.channels[channel.id] = channel
        self.messages[channel.id] = []
        return channel

    def find_by_name(self, name: str) -> Channel | None:
        return next(
            (c for c in self.channels.values() if not c.is_im and c.name == name),
            None,
        )

    def bot_can_see(self, channel: Channel) -> bool:
        return not channel.is_private or self.bot_user_id in channel.members

    def resolve(self, ref: str, *, open_dm: bool = False) -> Channel:
        """A channel by id (or #name, or a user id meaning the bot's DM): channel_not_found."""
        ref = ref.strip()
        channel = self.channels.get(ref) or self.find_by_name(ref.removeprefix("#"))
        if channel is None and open_dm and ref in self.users and ref != self.bot_user_id:
            channel = self.open_im(ref)
        if channel is None or not self.bot_can_see(channel):
            raise SlackError("channel_not_found")
        return channel

    def require_member(self, channel: Channel) -> None:
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")

    def require_active(self, channel: Channel) -> None:
        if channel.is_archived:
            raise SlackError("is_archived")

    def open_im(self, user_id: str) -> Channel:
        if user_id in self.ims:
            return self.channels[self.ims[user_id]]
        channel = Channel(self.new_id("D"), user_id, int(self.now()), self.bot_user_id, is_im=True)
        channel.members = [user_id, self.bot_user_id]
        channel.im_user = user_id
        self.channels[channel.id] = channel
        self.messages[channel.id] = []
        self.ims[user_id] = channel.id
        return channel

    # messages ---------------------------------------------------------------------
    def add_message(self, channel: Channel, text: str, **fields: Any) -> Message:
        user = fields.pop("user", self.bot_user_id)
        message = Message(channel.id, self.next_ts(), user, text, **fields)
        self.messages[channel.id].append(message)
        parent = self.find_message(channel.id, message.thread_ts) if message.thread_ts else None
        if parent is not None and parent is not message:
            parent.thread_ts = parent.ts
            parent.reply_count += 1
            parent.latest_reply = message.ts
            if user not in parent.reply_users:
                parent.reply_users.append(user)
        return message

    def system_message(self, channel: Channel, subtype: str, user: str, text: str) -> None:
        self.add_message(channel, text, user=user, subtype=subtype)

    def find_message(self, channel_id: str, ts: str | None) -> Message | None:
        return next((m for m in self.messages.get(channel_id, []) if m.ts == ts), None)

    def require_message(self, channel_id: str, ts: str) -> Message:
        message = self.find_message(channel_id, ts)
        if message is None:
            raise SlackError("message_not_found")
        return message

    def require_user(self, user_id: str) -> User:
        user = self.users.get(user_id)
        if user is None:
            raise SlackError("user_not_found")
        return user
