"""Bounds on hostile markup, applied in one linear pass before any parser sees it.

An HTML5 tree builder walks its stack of open elements for each new tag (is there a ``<p>`` to
close, a formatting element to reopen?), so 60,000 nested ``<div>`` or 200,000 nested
``<blockquote>`` cost the square of their number: minutes in lexbor, nh3 (html5ever) and lxml
alike. A browser stops nesting at 512 levels; here an element opened past :data:`MAX_DEPTH` is
left out (its text stays), and an element keeps its first :data:`MAX_ATTRIBUTES` attributes
(parsers look each new one up among the ones before it). Python-Markdown starts its inline
patterns over after each link, emphasis, code span or escape it replaces, so a paragraph is cut
into paragraphs of at most :data:`MAX_INLINE` of their marks, and blockquotes nest at most
:data:`MAX_QUOTES` deep.

The scan reads tag names only, with patterns that cannot backtrack: the standard library's
``html.parser`` still has quadratic paths on unterminated input in Python 3.11.
"""

from __future__ import annotations

import re

__all__ = ["MAX_ATTRIBUTES", "MAX_DEPTH", "MAX_INLINE", "MAX_QUOTES", "bound_markdown", "bound_markup"]

MAX_DEPTH = 256
MAX_ATTRIBUTES = 128
MAX_INLINE = 32
MAX_QUOTES = 16

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)")
_ATTRIBUTE = re.compile(r"""[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?""")
# Elements with no content: never on the stack of open elements.
_VOID = frozenset(
    [
        "area",
        "base",
        "basefont",
        "bgsound",
        "br",
        "col",
        "embed",
        "frame",
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
# Elements a second one of closes (<p>one<p>two is two paragraphs, not one inside the other).
_PEERS = frozenset(["p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "rb", "rt", "rp"])
_QUOTES = re.compile(rf"(?m)^((?:[ \t]{{0,3}}>){{{MAX_QUOTES}}})(?:[ \t]{{0,3}}>)+")
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_INLINE = re.compile(r"[\[*_`\\<&]")


def bound_markup(markup: str, *, depth: int = MAX_DEPTH, attributes: int = MAX_ATTRIBUTES) -> str:
    """``markup`` with the elements opened deeper than ``depth`` left out and each tag's attributes capped.

    Linear in the length of ``markup``: each tag is looked at once, each end tag against at most
    ``depth`` open elements. Markup within the bounds comes back unchanged (the same object).
    """
    if markup.count("<") <= depth and len(markup) <= 2 * attributes:
        return markup
    pieces: list[str] = []
    stack: list[str] = []
    copied = 0  # markup before this is in pieces
    gt = -1  # the first ">" at or after the current tag: found once for every tag before it
    for match in _TAG.finditer(markup):
        lt = match.start()
        if lt < copied:
            continue  # within a tag already rewritten
        if gt < lt:
            gt = markup.find(">", lt)
            gt = len(markup) - 1 if gt < 0 else gt
        end = gt + 1
        name = match.group(2).lower()
        if match.group(1):
            if name in stack:
                del stack[len(stack) - 1 - stack[::-1].index(name) :]
            continue
        if name in _PEERS and name in stack[-3:]:
            del stack[len(stack) - 1 - stack[::-1].index(name) :]
        if name not in _VOID:
            if len(stack) >= depth:
                pieces.append(markup[copied:lt])
                copied = end
                continue
            stack.append(name)
        if end - lt > 2 * attributes:
            tag = _capped_attributes(markup[lt:end], match.end() - lt, attributes)
            if tag is not None:
                pieces += [markup[copied:lt], tag]
                copied = end
    if not pieces:
        return markup
    pieces.append(markup[copied:])
    return "".join(pieces)


def _capped_attributes(tag: str, after_name: int, attributes: int) -> str | None:
    """``tag`` with its first ``attributes`` attributes only, or ``None`` when it has no more than that."""
    found: list[str] = []
    for n, match in enumerate(_ATTRIBUTE.finditer(tag, after_name, len(tag) - 1)):
        if n == attributes:
            return tag[:after_name] + " " + " ".join(found) + ">"
        found.append(match.group(0))
    return None


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
