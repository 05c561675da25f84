"""The sentence splitter: abbreviations, initials, quotes, numbers and URLs do not cut a sentence."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.summarize.sentences import split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith met Dr. Jones on Jan. 5 in St. Louis. They talked.",
            ["Mr. Smith met Dr. Jones on Jan. 5 in St. Louis.", "They talked."],
        ),
        (
            "Shares rose 2.5% to $1.13bn. Profit was 3.0 times higher.",
            ["Shares rose 2.5% to $1.13bn.", "Profit was 3.0 times higher."],
        ),
        (
            '"We are strong," he said. "Next year is better." Then he left.',
            ['"We are strong," he said.', '"Next year is better."', "Then he left."],
        ),
        ("“Is it over?” she asked. “Not yet.” It was not.", ["“Is it over?” she asked.", "“Not yet.”", "It was not."]),
        (
            "See https://example.org/a.b?c=1.2 for more. Mail news@example.co.uk today.",
            ["See https://example.org/a.b?c=1.2 for more.", "Mail news@example.co.uk today."],
        ),
        (
            "The U.S. Navy sailed. It reached the U.S. The crew cheered.",
            ["The U.S. Navy sailed.", "It reached the U.S.", "The crew cheered."],
        ),
        ("J. R. R. Tolkien wrote it. Fans agreed.", ["J. R. R. Tolkien wrote it.", "Fans agreed."]),
        (
            "Acme Inc. said sales rose. Rivals, e.g. Widget Ltd. Corp, did not.",
            ["Acme Inc. said sales rose.", "Rivals, e.g. Widget Ltd. Corp, did not."],
        ),
        (
            "It costs 5 p.m. prices... Really? Yes! 2026 was good.",
            ["It costs 5 p.m. prices...", "Really?", "Yes!", "2026 was good."],
        ),
        ("no capital. after this stop\nA new paragraph", ["no capital. after this stop", "A new paragraph"]),
        ("", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@given(st.text(alphabet=st.sampled_from(list("ab .?!\"'”(\n3U.S")), max_size=80))
def test_splitting_loses_no_text(text: str) -> None:
    joined = "".join("".join(s.split()) for s in split_sentences(text))
    assert joined == "".join(text.split())
