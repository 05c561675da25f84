"""Encoding feed-supplied titles and URLs for the Markdown and plain-text renderings.

HTML templates have Jinja's autoescape; these two formats have nothing of the kind, so each value a
feed controls goes through one of the filters here before it is written.

- A URL keeps its scheme check (:func:`~digest.textutil.safe_url`: http, https and mailto, the same
  schemes the HTML sanitizer keeps) and has every character that could end it early, or start
  something else, percent-encoded. Percent-encoding leaves the resource a browser fetches the same,
  so the link a reader clicks is the link the feed gave.
- Text has everything that breaks a line replaced by a space, so a title cannot fake a line of its
  own (a ``[x]: javascript:…`` reference definition, a heading, a "Read more:" line). In Markdown its
  metacharacters are escaped too, so it cannot open a link, an image or raw HTML.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from urllib.parse import quote

from .textutil import safe_url

__all__ = ["TerminalFormatter", "markdown_text", "markdown_url", "terminal_text", "text_line", "text_url"]

# RFC 3986 never allows these in a URL literally; a mail client's link detection stops at some of them,
# so one in the middle would make the link clicked differ from the link shown.
_TEXT_UNSAFE = frozenset(' "<>\\^`{|}')
# Markdown also ends a link destination or an autolink at these, or reads a bracket or quote as syntax.
_MARKDOWN_UNSAFE = _TEXT_UNSAFE | frozenset("()[]'")
# Control characters, invisible formatting (bidi overrides, zero-width spaces) and every kind of space
# and line or paragraph separator: nothing in a URL a reader could see or that could move the text around.
_INVISIBLE = frozenset(("Cc", "Cf", "Zs", "Zl", "Zp"))
# Characters that end a line for str.splitlines or a terminal; Cc covers \n, \r, \v, \f, \x1c-\x1e, \x85.
_LINE_BREAKING = frozenset(("Cc", "Zl", "Zp"))
# "&" followed by what reads as a character reference would be decoded by a Markdown parser or a browser.
_REFERENCE = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
# Each is backslash-escaped only if Python-Markdown knows the escape as well as CommonMark does; the
# others are written as character references, which every parser decodes.
_MARKDOWN_ESCAPED = frozenset("\\`*_[]{}#!")
_MARKDOWN_ENTITIES = {"<": "&lt;", ">": "&gt;", "|": "&#124;"}


def _encode(url: str, unsafe: frozenset[str]) -> str:
    return "".join(quote(ch, safe="") if ch in unsafe or unicodedata.category(ch) in _INVISIBLE else ch for ch in url)


def text_url(url: str) -> str:
    """``url`` for a line of plain text, or ``""`` if its scheme is not http, https or mailto."""
    return _encode(safe_url(url), _TEXT_UNSAFE)


def markdown_url(url: str) -> str:
    """``url`` for a Markdown link destination (``(<…>)``) or autolink (``<…>``), or ``""`` if unsafe.

    A character reference is split (``&`` as ``%26``) because parsers disagree on decoding one inside
    an autolink; a plain ``&`` between query parameters stays as it is.
    """
    return _REFERENCE.sub("%26", _encode(safe_url(url), _MARKDOWN_UNSAFE))


def text_line(text: str) -> str:
    """``text`` on one line: each control character or line separator becomes a space."""
    return "".join(" " if unicodedata.category(ch) in _LINE_BREAKING else ch for ch in text)


def markdown_text(text: str) -> str:
    """``text`` that Markdown shows literally, on one line: a title with ``*`` or ``[`` stays a title.

    ``<`` and ``>`` are written as character references, not backslash-escaped: Python-Markdown keeps
    the backslash of ``\\<`` and then reads the tag after it as raw HTML.
    """
    out = []
    for ch in _REFERENCE.sub("&amp;", text_line(text)):
        if ch in _MARKDOWN_ESCAPED:
            out.append("\\" + ch)
        else:
            out.append(_MARKDOWN_ENTITIES.get(ch, ch))
    return "".join(out)


# What a terminal acts on rather than shows: C0 controls but tab and line feed (so also ESC, which starts
# "\x1b[2J"), DEL, C1 controls (CSI among them), and bidirectional overrides and isolates.
_TERMINAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_text(text: str) -> str:
    """``text`` for a terminal or a log: each character a terminal would act on written as its escape."""
    return _TERMINAL.sub(lambda match: match.group(0).encode("unicode_escape").decode("ascii"), text)


class TerminalFormatter(logging.Formatter):
    """A log formatter whose lines never carry a control character from a feed (a title's ``\x1b[2J``)."""

    def format(self, record: logging.LogRecord) -> str:
        return terminal_text(super().format(record))
