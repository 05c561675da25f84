"""A rule-based sentence splitter for news text.

A full stop ends a sentence only when whitespace and a capital letter, a digit or an opening quote
follow it. Titles before a name (``Mr.``, ``Dr.``) never end one; initials (``J. R. R.``) never do;
dotted abbreviations and company suffixes (``U.S.``, ``Inc.``, ``etc.``) end one only when the next
word is a usual sentence opener, since "in the U.S. The next day" is two sentences and "the U.S.
Navy" is one. Decimals, URLs and e-mail addresses have no whitespace after their dots, so they
never split. Line breaks always end a sentence: extracted text keeps one paragraph a line.
"""

from __future__ import annotations

import re

__all__ = ["split_sentences"]

# Words that precede a name: a full stop after them never ends a sentence.
_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "messrs",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "ft",
        "no",
        "nos",
        "vs",
        "v",
        "gen",
        "gov",
        "sen",
        "rep",
        "rev",
        "hon",
        "col",
        "lt",
        "sgt",
        "capt",
        "cmdr",
        "adm",
        "maj",
        "fig",
        "figs",
        "art",
        "vol",
        "pp",
        "ch",
        "sec",
        "op",
        "approx",
        "dept",
        "est",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    ]
)
# Abbreviations that often end a sentence too: split after them only before a usual opener.
_ENDABLE = frozenset(["etc", "inc", "ltd", "co", "corp", "plc", "llc", "bros", "jr", "sr", "al"])
_OPENERS = frozenset(
    [
        "a",
        "an",
        "the",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "he",
        "she",
        "they",
        "we",
        "i",
        "you",
        "his",
        "her",
        "their",
        "our",
        "but",
        "and",
        "so",
        "yet",
        "however",
        "meanwhile",
        "in",
        "on",
        "at",
        "for",
        "if",
        "when",
        "while",
        "after",
        "before",
        "as",
        "there",
        "here",
        "what",
        "who",
        "why",
        "how",
        "also",
        "then",
        "still",
    ]
)
_DOTTED = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]$")
_END = re.compile(r"(\.{3}|…|[.!?]+)([\"'”’)\]]*)\s+")
_NEXT = re.compile(r"[\"'“‘(\[]*([^\W_])(\w*)")


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, in order, stripped; empty lines give none."""
    sentences: list[str] = []
    for paragraph in text.splitlines():
        start = 0
        for match in _END.finditer(paragraph):
            if _is_boundary(paragraph, start, match):
                sentence = paragraph[start : match.end(2)].strip()
                if sentence:
                    sentences.append(sentence)
                start = match.end()
        tail = paragraph[start:].strip()
        if tail:
            sentences.append(tail)
    return sentences


def _is_boundary(paragraph: str, start: int, match: re.Match[str]) -> bool:
    following = _NEXT.match(paragraph, match.end())
    if following is None:
        return False
    first, rest = following.group(1), following.group(2)
    if not (first.isupper() or first.isdigit()):
        return False
    if match.group(1) != "." or match.group(2):
        return True  # "?", "!", an ellipsis, or a full stop inside closing quotes
    before = paragraph[start : match.start(1)].rsplit(None, 1)
    word = before[-1].lstrip("\"'“‘([") if before else ""
    lowered = word.lower()
    if lowered in _TITLES or (len(word) == 1 and word.isalpha()):
        return False
    if lowered in _ENDABLE or _DOTTED.match(word):
        return (first + rest).lower() in _OPENERS
    return True
