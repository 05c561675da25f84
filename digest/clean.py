"""Text that is valid Unicode and controls neither a terminal nor a database: what the source stage hands on.

A feed or a saved file can hand over a lone surrogate (a JSON ``"\\ud800"`` escape, a UTF-7 body),
a NUL (``&#0;`` in a GUID) or any other control character. Each breaks something far from where it
came in: an encoder (the tokenizer, the HTML sanitizer, SQLite), PostgreSQL, which refuses NUL in
text, or the reader's terminal (``\\x1b[2J``). So every string of the model objects the source stage
builds goes through :func:`clean_text`: a lone surrogate becomes U+FFFD, the other control
characters but tab, line feed and carriage return are dropped.

What readers see as a line of its own (titles, source and author names, categories) goes through
:func:`clean_name` as well: bidirectional overrides and invisible formatting characters, which can
make a title read as something else (or hide a phishing address in it), are dropped, and the name
is cut at :data:`MAX_TITLE` characters.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .models import Article, Problem

__all__ = ["MAX_TITLE", "clean_article", "clean_name", "clean_problem", "clean_text"]

# The longest title or name a reader is shown, in characters; a longer one is cut and ends in "…".
# Real headlines stay well under it (the longest in the test corpora is about 200).
MAX_TITLE = 300

# C0 controls but \t \n \r, DEL, C1 controls, the noncharacters XML forbids, and every surrogate code point
# (a valid pair never reaches a Python str as two code points: decoders combine it, so any here is a lone one).
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Bidirectional embeddings, overrides and isolates, the marks, and zero-width or invisible formatting
# characters. Zero-width joiner and non-joiner stay: emoji sequences and Persian words need them.
_INVISIBLE = re.compile("[\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]")
_LINE = re.compile(r"\s*[\n\r\t\u2028\u2029\x85]\s*")


def _replace(match: re.Match[str]) -> str:
    return "\ufffd" if "\ud800" <= match.group(0) <= "\udfff" else ""


def clean_text(text: str) -> str:
    """``text`` with lone surrogates as U+FFFD and control characters other than ``\\t \\n \\r`` dropped."""
    return _UNSAFE.sub(_replace, text) if _UNSAFE.search(text) else text


def clean_name(text: str, limit: int = MAX_TITLE) -> str:
    """A title or name: :func:`clean_text`, on one line, without invisible formatting, at most ``limit`` long."""
    text = _LINE.sub(" ", _INVISIBLE.sub("", clean_text(text))).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clean_article(article: Article) -> Article:
    """``article`` with every string cleaned; its title, names and categories as names."""
    return replace(
        article,
        id=clean_text(article.id),
        title=clean_name(article.title),
        url=clean_text(article.url),
        source=clean_name(article.source),
        text=clean_text(article.text),
        summary_html=clean_text(article.summary_html),
        author=clean_name(article.author),
        categories=tuple(clean_name(c) for c in article.categories),
        language=clean_name(article.language, 35),
        feed_url=clean_text(article.feed_url),
        aliases=tuple(clean_text(a) for a in article.aliases),
    )


def clean_problem(problem: Problem) -> Problem:
    """``problem`` with every string cleaned: it is shown on a terminal and stored."""
    return Problem(clean_text(problem.source), clean_text(problem.message), clean_text(problem.hint))
