"""How far channel_transcript has read the channel, kept in its activity heartbeats: a retried
attempt (after a Slack 429, a 5xx, a timeout) goes on from the next page instead of the first.

Only what the transcript needs is kept (what people said, and which messages have threads), and
it travels zlib-compressed: heartbeat details are payloads stored with the activity. Past
MAX_BYTES the last checkpoint that fit is kept, so a retry re-reads only what came after it.
Heartbeats carrying it go at most every HEARTBEAT_EVERY, and once more when an attempt fails, so
a retry starts from exactly where the failed attempt stopped.
"""

from __future__ import annotations

import time
import zlib
from collections import defaultdict

from pydantic import BaseModel, Field, ValidationError
from temporalio import activity

# Temporal warns about payloads over 512 KB and refuses them over 2 MB.
MAX_BYTES = 256 * 1024
HEARTBEAT_EVERY = 2.0  # seconds; well within the activity's heartbeat timeout


class Said(BaseModel):
    """A message people wrote, as Slack gave it (names and markup are resolved at the end)."""

    ts: str
    user: str = ""
    username: str = ""
    text: str = ""
    # The thread's top message, for a reply.
    thread: str | None = None


class ChannelRead(BaseModel):
    """What has been read so far: the history page by page, then each thread's replies."""

    # The next history page's cursor ("" for the first page), until history is read through.
    history_cursor: str = ""
    history_done: bool = False
    # Top-level messages whose threads have replies to read, in the order Slack listed them.
    threads: list[str] = Field(default_factory=list)
    # Threads (oldest first) whose replies are all read, and the next page of the one after.
    threads_read: int = 0
    thread_cursor: str = ""
    said: list[Said] = Field(default_factory=list)

    def in_order(self) -> list[tuple[Said, bool]]:
        """(message, is a reply), oldest first, each thread's replies under its message (even
        one people did not write, such as Fireline's own)."""
        top = {m.ts: m for m in self.said if m.thread is None}
        replies: defaultdict[str, list[Said]] = defaultdict(list)
        for message in self.said:
            if message.thread is not None:
                replies[message.thread].append(message)
        out: list[tuple[Said, bool]] = []
        for ts in sorted(top.keys() | set(self.threads), key=float):
            if ts in top:
                out.append((top[ts], False))
            out += [(reply, True) for reply in replies[ts]]
        return out


class Checkpoint:
    """The ChannelRead of this attempt, resumed from the last heartbeat and heartbeated as it
    grows."""

    def __init__(self) -> None:
        details = activity.info().heartbeat_details
        self._kept: bytes | None = details[0] if details and isinstance(details[0], bytes) else None
        self.read = _decoded(self._kept) or ChannelRead()
        self._at = time.monotonic()

    def beat(self) -> None:
        """After a call: a heartbeat with what was read, when the last is old enough."""
        if time.monotonic() - self._at >= HEARTBEAT_EVERY:
            self.save()

    def save(self) -> None:
        """A heartbeat carrying what was read now (or the last checkpoint that fit)."""
        blob = zlib.compress(self.read.model_dump_json().encode(), 1)
        if len(blob) <= MAX_BYTES:
            self._kept = blob
        self._at = time.monotonic()
        activity.heartbeat(*([self._kept] if self._kept is not None else []))


def _decoded(blob: bytes | None) -> ChannelRead | None:
    if blob is None:
        return None
    try:
        return ChannelRead.model_validate_json(zlib.decompress(blob))
    except (zlib.error, ValidationError):
        activity.logger.warning("channel_transcript: unreadable checkpoint, reading from the start")
        return None
