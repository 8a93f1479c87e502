"""FakeSlack: the public face of the fake — lifecycle, seeding and inspection."""

from __future__ import annotations

import copy
import threading
import time
from types import TracebackType
from typing import Any

from ..faults import Faults
from ..http import FakeHttpServer
from . import response_urls
from .dispatch import Call, Dispatcher
from .server import slack_server
from .shapes import channel_snapshot, message_snapshot, view_obj
from .socket_mode import SocketModeServer
from .state import SYSTEM_SUBTYPES, Clock, User, Workspace


class FakeSlack:
    """A stateful Slack Web API on 127.0.0.1 for the real slack_sdk clients.

    ``clock`` (epoch seconds, default ``time.time``) drives trigger-id expiry and
    message timestamps; pass a ``ManualClock`` to control it. It can also be swapped
    later through ``fake.clock``. ``apps.connections.open`` (with ``app_token``) hands out URLs
    of ``fake.socket_mode``, a Socket Mode WebSocket endpoint the test sends envelopes through.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        team_id: str = "T0FAKE",
        bot_user_id: str = "UBOT0001",
        bot_token: str = "xoxb-fake-0001-fireline",
        app_token: str = "xapp-1-A0FAKEAPP1-0001-fireline",
    ) -> None:
        self._lock = threading.Lock()
        self._default_clock: Clock = clock or time.time
        self._ws = Workspace(self._default_clock, team_id, bot_user_id)
        self.faults = Faults(self._lock)
        self.socket_mode = SocketModeServer()
        self._dispatcher = Dispatcher(
            self._ws, self.faults, self._lock, bot_token, app_token, self.socket_mode.issue_url
        )
        self._server: FakeHttpServer | None = None
        self.bot_token = bot_token
        self.app_token = app_token
        self.bot_user_id = bot_user_id
        self.team_id = team_id

    # lifecycle ------------------------------------------------------------------
    def start(self) -> FakeSlack:
        if self._server is None:
            self._server = slack_server(self._dispatcher)
            self._server.start_in_thread()
            self.socket_mode.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.socket_mode.stop()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started; call start() first")
        return self._server.base_url

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    @property
    def clock(self) -> Clock:
        return self._ws.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        with self._lock:
            self._ws.clock = clock

    def reset(self) -> None:
        """An empty workspace again (the bot user stays); faults, call log, clock and Socket Mode
        records reset."""
        self.faults.clear()
        self.socket_mode.reset()
        with self._lock:
            self._ws.clock = self._default_clock
            self._ws.reset()
            self._dispatcher.calls.clear()

    # seeding --------------------------------------------------------------------
    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        deleted: bool = False,
        is_bot: bool = False,
        email: str | None = None,
    ) -> None:
        with self._lock:
            self._ws.users[user_id] = User(user_id, name, deleted, is_bot, email)

    def deactivate_user(self, user_id: str) -> None:
        with self._lock:
            self._ws.require_user(user_id).deleted = True

    def add_channel(
        self,
        name: str,
        *,
        is_private: bool = False,
        members: list[str] | tuple[str, ...] = (),
        bot_member: bool = True,
        creator: str | None = None,
    ) -> str:
        """Seed a channel (no name validation, no join messages); returns its id.

        The bot is added to ``members`` unless ``bot_member=False``. ``creator`` defaults to
        the first of ``members`` (else a workspace admin), so the bot cannot rename it.
        """
        people = list(dict.fromkeys(members))
        if bot_member and self.bot_user_id not in people:
            people.insert(0, self.bot_user_id)
        with self._lock:
            owner = creator or (members[0] if members else "U0ADMIN01")
            channel = self._ws.add_channel(name, is_private=is_private, creator=owner)
            channel.members = people
            return channel.id

    def add_message(
        self,
        channel_id: str,
        text: str,
        *,
        user: str,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> str:
        """Seed a message written by someone (e.g. a human in the channel); returns its ts."""
        with self._lock:
            channel = self._ws.channels[channel_id]
            return self._ws.add_message(
                channel, text, user=user, thread_ts=thread_ts, blocks=blocks
            ).ts

    def issue_trigger_id(self, user_id: str) -> str:
        """A trigger_id like the one Slack puts in an interaction: 3 s, single use."""
        with self._lock:
            return self._ws.issue_trigger(user_id)

    def response_url(
        self,
        channel_id: str | None = None,
        user_id: str | None = None,
        *,
        message_ts: str | None = None,
    ) -> str:
        """A response_url on this server; posts are kept in ``responses()``.

        ``response_type: in_channel`` posts land in the channel; with ``message_ts``,
        ``replace_original`` / ``delete_original`` act on that message.
        """
        base = self.base_url
        with self._lock:
            return response_urls.issue(
                self._ws, base, channel_id=channel_id, user_id=user_id, message_ts=message_ts
            )

    # inspection -----------------------------------------------------------------
    def channel_by_name(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            channel = self._ws.find_by_name(name)
            return channel_snapshot(channel) if channel else None

    def channel_by_id(self, channel_id: str) -> dict[str, Any] | None:
        with self._lock:
            channel = self._ws.channels.get(channel_id)
            return channel_snapshot(channel) if channel else None

    def channels(self) -> list[dict[str, Any]]:
        """Every non-DM channel, oldest first, including ones the bot cannot see."""
        with self._lock:
            return [channel_snapshot(c) for c in self._ws.channels.values() if not c.is_im]

    def user(self, user_id: str) -> dict[str, Any] | None:
        with self._lock:
            u = self._ws.users.get(user_id)
            return None if u is None else copy.deepcopy(u.__dict__)

    def messages(self, channel_id: str, *, include_system: bool = False) -> list[dict[str, Any]]:
        """Messages oldest first (thread replies included, with thread_ts).

        Slack's own join/topic/rename/archive notices are left out unless asked for.
        """
        with self._lock:
            return [
                message_snapshot(self._ws, m)
                for m in self._ws.messages.get(channel_id, [])
                if include_system or m.subtype not in SYSTEM_SUBTYPES
            ]

    def ephemerals(self, channel_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                copy.deepcopy(e)
                for e in self._ws.ephemerals
                if channel_id is None or e["channel"] == channel_id
            ]

    def pins(self, channel_id: str) -> list[str]:
        with self._lock:
            return list(self._ws.pins.get(channel_id, []))

    def bookmarks(self, channel_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._ws.bookmarks.get(channel_id, []))

    def dm_channel(self, user_id: str) -> str | None:
        with self._lock:
            return self._ws.ims.get(user_id)

    def views(self) -> list[dict[str, Any]]:
        """Every view opened/pushed/published, in order, as it is now."""
        with self._lock:
            return [
                {
                    "id": v.id,
                    "hash": v.hash,
                    "external_id": v.payload.get("external_id", ""),
                    "callback_id": v.payload.get("callback_id", ""),
                    "private_metadata": v.payload.get("private_metadata", ""),
                    "type": v.payload.get("type"),
                    "trigger_id": v.trigger_id,
                    "user": v.user,
                    "view": view_obj(self._ws, v),
                }
                for v in self._ws.views.values()
            ]

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._dispatcher.calls if method is None or c.method == method]

    def responses(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._ws.responses)
