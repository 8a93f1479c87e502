"""What people type is kept as they see it: invisible characters go, visible text stays."""

from __future__ import annotations

import pytest

from fireline.user_text import multi_line, one_line, without_nul


@pytest.mark.parametrize(
    "typed",
    [
        "\u200b\u200b\u200b",  # zero-width spaces
        "\u202e\u2066\u2069",  # bidi override and isolates
        "\u200d \u200d",  # joiners alone
        "\x00\x07\n\t",
        "\ufeff",  # byte-order mark
    ],
)
def test_a_title_of_invisible_characters_is_blank(typed: str) -> None:
    assert one_line(typed) == ""


def test_a_title_keeps_what_is_visible() -> None:
    assert one_line("  Disk\u200b full\non\tdb-1\u202e ") == "Disk full on db-1"
    assert one_line("Café 👩\u200d💻 down") == "Café 👩\u200d💻 down"
    assert one_line("Ошибка оплаты") == "Ошибка оплаты"


def test_a_description_keeps_its_lines() -> None:
    assert multi_line("first\r\nsecond\x00\n\tindented\u200b") == "first\nsecond\n\tindented"
    assert multi_line("\u200b\x00") == ""


def test_nul_is_removed_before_sql() -> None:
    assert without_nul("a\x00b") == "ab"
