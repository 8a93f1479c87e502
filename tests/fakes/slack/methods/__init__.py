"""Method handlers: (workspace, args) -> the ok:true body, or raise SlackError."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..args import Args
from ..state import Workspace
from . import channels_read, channels_write, chat, pins_bookmarks, users, views

Handler = Callable[[Workspace, Args], dict[str, Any]]

HANDLERS: dict[str, Handler] = {
    **users.HANDLERS,
    **channels_write.HANDLERS,
    **channels_read.HANDLERS,
    **chat.HANDLERS,
    **pins_bookmarks.HANDLERS,
    **views.HANDLERS,
}

__all__ = ["HANDLERS", "Handler"]
