"""Reading what follows `/incident`, as Slack sends it."""

from __future__ import annotations

import pytest

from bot.command_text import as_typed, duration_minutes, mentioned_user, split


def test_split_names_the_subcommand_in_lower_case() -> None:
    assert split("  Status   mitigated  rolled back ") == ("status", "mitigated  rolled back")
    assert split("") == ("", "")


@pytest.mark.parametrize(
    ("word", "user"),
    [
        ("<@U0CARL|carl>", "U0CARL"),  # escaped, as the manifest asks Slack to send it
        ("<@U0CARL>", "U0CARL"),  # without the name, as some clients send it
        ("<@W0GRID|ana>", "W0GRID"),  # an Enterprise Grid user
        ("@carl", None),  # typed, not picked: names no one for sure
        ("carl", None),
        ("<#C0GENERAL|general>", None),
        ("<@U0CARL|carl> <@U0ANA|ana>", None),
        ("", None),
    ],
)
def test_only_a_mention_picked_in_slack_names_a_user(word: str, user: str | None) -> None:
    assert mentioned_user(word) == user


@pytest.mark.parametrize(
    ("sent", "typed"),
    [
        ("a &lt; b &amp;&amp; c &gt; d", "a < b && c > d"),
        ("&amp;lt; stays as typed", "&lt; stays as typed"),
        ("ask <@U0CARL|carl> and <@U0ANA>", "ask @carl and @U0ANA"),
        ("in <#C0GEN|general>", "in #general"),
        ("<!here> <!subteam^S0OPS|@ops> <!subteam^S0SRE>", "@here @ops @S0SRE"),
        ("see <https://grafana.example/d/1|the dashboard>", "see https://grafana.example/d/1"),
    ],
)
def test_text_reads_as_typed(sent: str, typed: str) -> None:
    assert as_typed(sent) == typed


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("30m", 30),
        ("2h", 120),
        ("1h30m", 90),
        (" 90 min ", 90),
        ("2 hours", 120),
        ("", None),
        ("soon", None),
        ("30s", None),
        ("-5m", None),
    ],
)
def test_a_duration_is_hours_and_or_minutes(typed: str, minutes: int | None) -> None:
    assert duration_minutes(typed) == minutes
