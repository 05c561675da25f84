"""Bounds on hostile markup, applied in one linear pass before any parser sees it.

An HTML5 tree builder walks its stack of open elements for each new tag, so 60,000 nested
``<div>`` cost the square of their number (:mod:`digest.htmldepth` cuts nesting at
:data:`MAX_DEPTH`); it also looks each new attribute up among the element's others, so 30,000
attributes on one element took 6 s in lexbor and 10 s in trafilatura: an element keeps its first
:data:`MAX_ATTRIBUTES`. Python-Markdown starts its inline
patterns over after each link, emphasis, code span or escape it replaces, so a paragraph is cut
into paragraphs of at most :data:`MAX_INLINE` of their marks, and blockquotes nest at most
:data:`MAX_QUOTES` deep.

The scans use anchored patterns that cannot backtrack: the standard library's ``html.parser``
still has quadratic paths on unterminated input in Python 3.11.
"""

from __future__ import annotations

import re

from .htmldepth import PARSE_DEPTH, bound_depth

__all__ = ["MAX_ATTRIBUTES", "MAX_DEPTH", "MAX_INLINE", "MAX_QUOTES", "bound_markdown", "bound_markup"]

MAX_DEPTH = PARSE_DEPTH
MAX_ATTRIBUTES = 128
MAX_INLINE = 32
MAX_QUOTES = 16

_START = re.compile(r"<[A-Za-z][^\s/>]*")
# One attribute with the space before it: a name, then maybe "=" and a value (quoted values may hold ">").
_ATTRIBUTE = re.compile(r"""[\s/]*[^\s"'>/=][^\s"'>/=]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?""")
_QUOTES = re.compile(rf"(?m)^((?:[ \t]{{0,3}}>){{{MAX_QUOTES}}})(?:[ \t]{{0,3}}>)+")
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_INLINE = re.compile(r"[\[*_`\\<&]")


def bound_markup(markup: str, *, depth: int = MAX_DEPTH, attributes: int = MAX_ATTRIBUTES) -> str:
    """``markup`` with each element's attributes after its first ``attributes`` left out, and the elements
    that would open deeper than ``depth`` too (:func:`~digest.htmldepth.bound_depth`); text stays.

    Linear in the length of ``markup``: each attribute is read once, by anchored patterns that cannot
    backtrack past their own quotes. Markup within the bounds comes back unchanged (the same object).
    """
    return bound_depth(_capped_attributes(markup, attributes), depth)


def _capped_attributes(markup: str, attributes: int) -> str:
    if sum(markup.count(c) for c in " \t\n\r\f/\"'") <= attributes:
        return markup  # too few separators for any element to hold more attributes than that
    pieces: list[str] = []
    copied = at = 0
    while (tag := _START.search(markup, at)) is not None:
        at, kept, count = tag.end(), tag.end(), 0
        while (attribute := _ATTRIBUTE.match(markup, at)) is not None and attribute.end() > at:
            at = attribute.end()
            count += 1
            if count == attributes:
                kept = at
        if count > attributes:
            pieces += [markup[copied:kept], ">" if markup.startswith(">", at) else ""]
            copied = at + 1 if markup.startswith(">", at) else at
    if not pieces:
        return markup
    pieces.append(markup[copied:])
    return "".join(pieces)


def bound_markdown(text: str, *, inline: int = MAX_INLINE) -> str:
    """Markdown with blockquotes nested at most :data:`MAX_QUOTES` deep and paragraphs of at most ``inline``
    inline marks (``[ * _ ` \\ < &``): a longer one is cut into paragraphs of that many, at a line end or
    a space where there is one. Every link still links and every word stays; only paragraph breaks are added.
    """
    if text.count(">") > MAX_QUOTES:
        text = _QUOTES.sub(r"\1", text)
    if len(_INLINE.findall(text)) <= inline:
        return text
    return "\n\n".join(_cut(block, inline) for block in _PARAGRAPH.split(text))


def _cut(block: str, inline: int) -> str:
    marks = [match.start() for match in _INLINE.finditer(block)]
    if len(marks) <= inline:
        return block
    pieces, start = [], 0
    for k in range(inline, len(marks), inline):
        cut = marks[k]
        # Back to the last line end, else space, after the previous mark: the piece keeps at most ``inline``.
        for separator in ("\n", " "):
            found = block.rfind(separator, marks[k - 1] + 1, cut)
            if found >= 0:
                cut = found + 1
                break
        pieces.append(block[start:cut])
        start = cut
    pieces.append(block[start:])
    return "\n\n".join(piece.strip("\n") for piece in pieces)
