"""Incident channel names: Slack's alphabet, at most 80 characters, readable words kept."""

from __future__ import annotations

import random
import re

import pytest

from fireline.channel_name import MAX_LENGTH, incident_channel_name, slugify

SLACK_NAME = re.compile(r"^[a-z0-9_-]{1,80}$")
BIGINT = 2**63 - 1  # the largest number the incidents table can hold


def assert_valid(name: str) -> None:
    assert SLACK_NAME.fullmatch(name), name
    assert len(name) <= MAX_LENGTH, name
    assert not name.endswith(("-", "_")), name
    assert "--" not in name, name


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Checkout is failing", "inc-42-checkout-is-failing"),
        ("Café façade 東京", "inc-42-cafe-facade-dongjing"),
        ("Straße über Ærø", "inc-42-strasse-uber-aero"),
        ("Москва down", "inc-42-moskva-down"),
        ("DB: 100% CPU!!! (again?)", "inc-42-db-100-cpu-again"),
        ("🔥 checkout 🔥 is down 🚀", "inc-42-checkout-is-down"),
        ("👩‍💻 deploy ✅ broke ❤️ prod 👍🏽", "inc-42-deploy-broke-prod"),
        ("  spaces\tand\nnewlines  ", "inc-42-spaces-and-newlines"),
        ("keep_under_scores", "inc-42-keep_under_scores"),
        ("__leading and trailing__", "inc-42-leading-and-trailing"),
        ("a -- b", "inc-42-a-b"),
    ],
)
def test_titles_become_readable_slugs(title: str, expected: str) -> None:
    name = incident_channel_name(42, title)
    assert name == expected
    assert_valid(name)


@pytest.mark.parametrize("title", ["", "   ", "!!!", "---", "___", "🔥🔥🔥", "✅ ❤️ 🚀", "-_-_-"])
def test_nothing_left_of_the_title_gives_the_bare_number(title: str) -> None:
    assert slugify(title) == ""
    assert incident_channel_name(7, title) == "inc-7"
    assert incident_channel_name(7, title, attempt=2) == "inc-7-2"


def test_attempts_after_the_first_add_a_suffix() -> None:
    assert incident_channel_name(3, "db down", attempt=1) == "inc-3-db-down"
    assert incident_channel_name(3, "db down", attempt=2) == "inc-3-db-down-2"
    assert incident_channel_name(3, "db down", attempt=17) == "inc-3-db-down-17"


@pytest.mark.parametrize("number", [1, 9_999, 1_000_000, BIGINT])
@pytest.mark.parametrize("attempt", [1, 2, 99])
@pytest.mark.parametrize(
    "title",
    [
        "x" * 300,
        "word " * 100,
        "a" * 60 + "-" * 40 + "b" * 60,
        "a" * 60 + "_" * 40 + "b" * 60,
        "東京" * 100,
        "Ünïcödé " * 50,
    ],
)
def test_long_titles_and_big_numbers_fit_in_80(number: int, attempt: int, title: str) -> None:
    name = incident_channel_name(number, title, attempt=attempt)
    assert_valid(name)
    assert name.startswith(f"inc-{number}-")
    if attempt > 1:
        assert name.endswith(f"-{attempt}")


def test_truncation_never_leaves_a_trailing_separator() -> None:
    # "inc-5-" leaves 74 characters for the slug; cut exactly after a separator run.
    for filler in ("-", "_", " ", "!", "🔥"):
        for length in range(70, 78):
            name = incident_channel_name(5, "a" * length + filler + "b" * 20)
            assert_valid(name)
            assert name.startswith("inc-5-a")


def test_slug_uses_the_whole_room() -> None:
    name = incident_channel_name(12, "y" * 200)
    assert len(name) == MAX_LENGTH
    name = incident_channel_name(12, "y" * 200, attempt=4)
    assert len(name) == MAX_LENGTH and name.endswith("y-4")


# Characters a title may plausibly hold: ASCII, Latin accents, other scripts, combining marks,
# emoji with modifiers and joiners, whitespace and controls.
ALPHABET = (
    [chr(c) for c in range(0x20, 0x7F)]
    + list("ÀÉÎÕÜàéîõüßøæœłđçñ")
    + list("東京大阪日本語한국어中文")
    + list("МоскваΑθήναעבריתالعربيةहिन्दीไทย")
    + ["\u0301", "\u0308", "\u200d", "\ufe0f", "\u20e3", "\u00a0", "\u2028", "\t", "\n", "\x00"]
    + ["🔥", "🚀", "✅", "❤", "👍", "🏽", "🇺", "🇸", "©", "™", "°", "€", "→", "★", "½", "Ⅻ", "①"]
)


def test_property_every_name_is_valid() -> None:
    rng = random.Random(20240607)
    for _ in range(500):
        title = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 120)))
        number = rng.choice([rng.randint(1, 999), rng.randint(1, 10**9), BIGINT])
        attempt = rng.choice([1, 1, 2, rng.randint(3, 1000)])
        name = incident_channel_name(number, title, attempt=attempt)
        assert_valid(name)
        assert name.startswith(f"inc-{number}")
        if attempt > 1:
            assert name.endswith(f"-{attempt}")
        # Deterministic: a retried activity computes the same name.
        assert incident_channel_name(number, title, attempt=attempt) == name
