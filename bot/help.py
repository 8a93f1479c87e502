"""What Fireline says when asked how to use it: the general help, an incident channel's help and
the answer to a mention. Text is mrkdwn; whatever a user typed is escaped before it is quoted."""

from __future__ import annotations

import re
from collections.abc import Iterable

from fireline.render.text import escape, truncate

SHORTCUTS = (
    "shortcuts *Declare incident* (global) and *Declare incident from message* "
    "(in a message's ⋯ menu)"
)
HELP = (
    "*Fireline*\n"
    "• `/incident` opens the form to declare an incident.\n"
    "• `/incident list` lists the open incidents.\n"
    "• `/incident help` shows this message; in an incident's channel, the commands that change "
    "that incident.\n"
    f"The {SHORTCUTS} open the same form."
)
QUOTE_MAX = 200


def incident_channel_help(reference: str, commands: Iterable[tuple[str, str]]) -> str:
    """The help for `/incident` typed in an incident's own channel; `commands` are the
    (usage, what it does) of the subcommands that change it."""
    lines = "".join(f"• `/incident {usage}` {summary}.\n" for usage, summary in commands)
    return (
        f"This is the channel of incident *{reference}*. Here:\n{lines}"
        "• `/incident help` shows this message.\n"
        "The buttons on the pinned summary change the status and severity and post updates too. "
        "To declare a separate incident, run `/incident` in any other channel or `/incident new` "
        f"here, or use the {SHORTCUTS}."
    )


def mention_reply(user_id: str | None, text: str, bot_user_id: str | None) -> str:
    """The answer to an @-mention, which declares nothing: how to declare instead."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", "", text)
    text = " ".join(text.split())
    greeting = f"<@{user_id}> " if user_id else ""
    quoted = f" (you wrote “{escape(truncate(text, QUOTE_MAX))}”)" if text else ""
    return (
        f"{greeting}Mentioning me does not declare an incident{quoted}. To declare one, "
        f"run `/incident` to open the form, or use the {SHORTCUTS}. "
        "`/incident help` lists the commands."
    )
