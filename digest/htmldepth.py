"""How deep feed HTML may nest before a parser or inliner written in C or Rust sees it.

Browsers' tree building looks down the stack of open elements for every block start tag, so an
HTML parser spends time in proportion to depth times tags: lexbor takes 0.9 s for 10,000 nested
``<div>`` elements and html5ever (nh3) 2 s for 16,000, and a 10 MB item holds two million. Past
that, css_inline overflows its stack on 16,000 nested ``<b>`` elements and takes the process down.

:func:`bound_depth` reads raw HTML once with a tokenizer of its own (tags, quoted attribute values,
comments and raw-text elements such as ``<script>``, all in linear time) and a rough model of tree
building that never underestimates by more than a small factor, and drops the start tags (and their
end tags) that would open past the limit; text stays. :func:`cut_depth` does the same, exactly, for
markup a sanitizer has already normalized.
"""

from __future__ import annotations

import functools
import re
from collections import Counter

__all__ = ["MAX_HTML_DEPTH", "PARSE_DEPTH", "bound_depth", "cut_depth"]

# Deepest nesting of article HTML in the renderings (real articles nest a dozen deep).
MAX_HTML_DEPTH = 64
# Deepest nesting of raw HTML handed to a parser.
PARSE_DEPTH = 256
# How far down the stack an end tag looks for its element; one further down is taken as not there,
# which can only overestimate the depth (hostile end tags cannot buy a long walk each).
_END_REACH = 16

_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "keygen",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
# Start tags that close one of their kind still open: a run of them does not nest.
_IMPLIED_END = frozenset(
    [
        "p",
        "li",
        "dt",
        "dd",
        "tr",
        "td",
        "th",
        "option",
        "optgroup",
        "rb",
        "rt",
        "rp",
        "rtc",
        "thead",
        "tbody",
        "tfoot",
        "caption",
        "colgroup",
    ]
)
# Formatting elements: an end tag of another element does not close them for good (the parser reopens them).
_FORMATTING = frozenset(
    ["a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u"]
)
# Where an end tag stops looking down the stack: scope boundaries for block end tags...
_SCOPE = frozenset(["applet", "caption", "html", "table", "td", "th", "marquee", "object", "template"])
# ... and every "special" element for the others (a </span> does not close through a <div>).
_SPECIAL = _SCOPE | frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "center",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "frameset",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "iframe",
        "listing",
        "main",
        "menu",
        "nav",
        "ol",
        "pre",
        "search",
        "section",
        "select",
        "summary",
        "tbody",
        "textarea",
        "tfoot",
        "thead",
        "tr",
        "ul",
        "xmp",
    ]
)
_RAW_TEXT = frozenset(["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript"])
# A tag's start (its name, and its end when no quote comes first), or the start of a comment or the like.
_TAG_OPEN = re.compile(r"<(?:(/?)([A-Za-z][^\s/>]*)(?:[^>\"'<]*(>))?|[!?/])")
_IN_TAG = re.compile(r"[>\"']")
# Normalized markup (a sanitizer's output): every "<" starts a tag, which ends at its first ">".
_TAG = re.compile(r"<(/?)([a-z][a-z0-9]*)[^>]*>")


class _Model:
    """The stack of open elements, roughly: blocks on a stack, formatting elements counted by name."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.stack: list[str] = []
        self.formatting: Counter[str] = Counter()
        self.open_formatting = 0
        self.dropped: Counter[str] = Counter()

    def start(self, name: str) -> bool:
        """Whether the start tag ``name`` is kept (False: it would open past the limit)."""
        if name in _VOID or name in _IMPLIED_END:
            return True
        if len(self.stack) + self.open_formatting >= self.limit:
            self.dropped[name] += 1
            return False
        if name in _FORMATTING:
            self.formatting[name] += 1
            self.open_formatting += 1
        else:
            self.stack.append(name)
        return True

    def end(self, name: str) -> bool:
        """Whether the end tag ``name`` is kept (False: its start tag was dropped)."""
        if self.dropped[name]:
            self.dropped[name] -= 1
            return False
        if name in _FORMATTING:
            if self.formatting[name]:
                self.formatting[name] -= 1
                self.open_formatting -= 1
            return True
        stops = _SCOPE if name in _SPECIAL else _SPECIAL
        for back in range(len(self.stack) - 1, max(-1, len(self.stack) - 1 - _END_REACH), -1):
            if self.stack[back] == name:
                del self.stack[back:]
                break
            if self.stack[back] in stops:
                break
        return True


def _tag_end(markup: str, at: int) -> int:
    """The index just past the ``>`` that ends the tag whose attributes start at ``at``; -1 if none."""
    while True:
        found = _IN_TAG.search(markup, at)
        if found is None:
            return -1
        where = found.start()
        if found.group(0) == ">":
            return where + 1
        if not markup[at:where].rstrip().endswith("="):
            at = where + 1  # a quote inside a name, not a quoted value
            continue
        close = markup.find(found.group(0), where + 1)
        if close < 0:
            return -1
        at = close + 1


def _skip(markup: str, at: int) -> int:
    """Past a comment, doctype or processing instruction at ``at``, as HTML's tokenizer reads them."""
    if markup.startswith("<!--", at):
        end = markup.find("-->", at + 4)
        return len(markup) if end < 0 else end + 3
    end = markup.find(">", at + 2)
    return len(markup) if end < 0 else end + 1


def _cuts(markup: str, limit: int) -> list[tuple[int, int]]:
    """The spans of the tags of ``markup`` that would open (or close what would open) past ``limit``."""
    model = _Model(limit)
    cuts = []
    at = 0
    search = _TAG_OPEN.search
    while (tag := search(markup, at)) is not None:
        lt = tag.start()
        if tag.group(2) is None:  # "<!", "<?" or "</" not followed by a name
            at = _skip(markup, lt)
            continue
        # A tag whose attributes hold no quote ends at its first ">" (most tags): no closer look needed.
        end = tag.end() if tag.group(3) is not None else _tag_end(markup, tag.end())
        if end < 0:
            break
        closing, name = tag.group(1), tag.group(2).lower()
        if not (model.end(name) if closing else model.start(name)):
            cuts.append((lt, end))
        at = end
        if not closing and name in _RAW_TEXT:  # its text is not markup: skip to its end tag
            close = re.compile(rf"</{re.escape(name)}[\s/>]", re.I).search(markup, end)
            at = close.start() if close else len(markup)
    return cuts


@functools.lru_cache(maxsize=2)  # the sanitizer and the text extractor read the same item's HTML in turn
def bound_depth(markup: str, limit: int = PARSE_DEPTH) -> str:
    """Raw HTML ``markup`` without the tags that would nest deeper than about ``limit``; text stays."""
    if markup.count("<") <= limit:
        return markup  # fewer tags than the limit cannot nest past it
    cuts = _cuts(markup, limit)
    if not cuts:
        return markup
    pieces, at = [], 0
    for start, end in cuts:
        pieces.append(markup[at:start])
        at = end
    pieces.append(markup[at:])
    return "".join(pieces)


def cut_depth(normal: str, limit: int = MAX_HTML_DEPTH) -> str:
    """Normalized markup (nh3's output) without the tags that nest deeper than ``limit``; their text stays."""
    depth = 0
    dropped: Counter[str] = Counter()
    out: list[str] = []
    at = 0
    for match in _TAG.finditer(normal):
        closing, name = match.group(1), match.group(2)
        if name in _VOID:
            continue
        if not closing and depth < limit:
            depth += 1
            continue
        if closing and not dropped[name]:
            depth = max(0, depth - 1)
            continue
        dropped[name] += -1 if closing else 1
        out.append(normal[at : match.start()])
        at = match.end()
    if not out:
        return normal
    out.append(normal[at:])
    return "".join(out)
