"""Small text helpers shared by several stages: HTML to text, canonical URLs, content hashes.

These are pure functions over strings, not a stage, so any stage may import them without
breaking the rule that data flows one way through the pipeline.
"""

from __future__ import annotations

import hashlib
import html
import importlib
import logging
import re
from collections.abc import Callable
from functools import cache

import sentencex
from selectolax.lexbor import LexborHTMLParser, LexborNode

from .bounds import bound_markup
from .urls import identity_key

__all__ = [
    "canonical_url",
    "content_hash",
    "first_sentence",
    "guess_title",
    "html_to_text",
    "main_text",
    "normalize_space",
    "safe_url",
    "slugify",
]

log = logging.getLogger(__name__)

_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "br",
        "caption",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "legend",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    ]
)
# Never shown as text: scripts, styles, the document head, embedded documents and drawings.
_SKIP_TAGS = frozenset(["script", "style", "noscript", "template", "head", "svg", "math", "iframe", "object"])
# Page chrome of whole saved web pages (menus, sidebars, footers, forms) is not article text; in a feed
# item the same elements are the author's own (a pull quote in <aside>, a caption in <footer>).
_CHROME_TAGS = frozenset(["nav", "footer", "aside", "form"])
# Tangential blocks an author may drop into the middle of a sentence (a "related" box, a picture). HTML
# closes the paragraph before them, so the sentence would end up cut in two around them.
_INTERRUPTIONS = frozenset(["aside", "figure"])
_SAFE_SCHEMES = ("http", "https", "mailto")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_URL_INVISIBLE = re.compile(r"[\t\n\r]")
_URL_TRIM = "".join(map(chr, range(0x21))) + "\x7f"
_URL_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# A block boundary while the text is gathered. The parser drops or replaces NUL in text (and the
# markup is cleared of it first), so no text of the page can hold one.
_BREAK = "\x00"


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment (a feed item's content), one paragraph a line.

    The fragment is parsed as a browser would (lexbor, through selectolax): an unclosed element ends
    where HTML says it does, and no element but scripts, styles and embedded content hides text.
    """
    if "<" not in markup and "&" not in markup:
        return normalize_space(markup)
    return _visible_text(_parse(markup).root, _SKIP_TAGS)


def _parse(markup: str) -> LexborHTMLParser:
    tree = LexborHTMLParser(bound_markup(markup.replace("\x00", "")))
    # Innermost and last first: mending one only copies and frees what follows it, all of it already mended.
    for node in reversed(tree.css(",".join(sorted(_INTERRUPTIONS)))):
        _mend_interrupted(node)
    return tree


def _is_blank(node: LexborNode) -> bool:
    return node.tag == "-text" and not (node.text_content or "").strip()


def _has_text(node: LexborNode) -> bool:
    tag = node.tag or ""
    if tag == "-text":
        return bool((node.text_content or "").strip())
    return not tag.startswith("-") and bool(node.text(deep=True).strip())


def _mend_interrupted(node: LexborNode) -> None:
    """Join the sentence an ``<aside>`` or ``<figure>`` interrupts, and put the interruption after it.

    ``<p>The court ruled <aside>…</aside> by nine votes to two.</p>`` parses as a paragraph, the aside,
    then the rest of the sentence as bare text. The bare text (up to the next block) goes back into
    the paragraph, or, without one before, the aside moves after it: no word is lost, none is cut off.
    """
    rest = []
    after = node.next
    while after is not None and (after.tag == "-text" or (after.tag or "") not in _BLOCK_TAGS | _SKIP_TAGS):
        rest.append(after)
        after = after.next
    if not any(_has_text(n) for n in rest):
        return  # a block between blocks: it interrupts nothing
    before = node.prev
    while before is not None and _is_blank(before):
        before = before.prev
    if before is not None and before.tag == "p":
        for piece in rest:
            before.insert_child(piece)  # inserted as a copy
            piece.decompose()
    elif before is not None and (before.tag == "-text" or (before.tag or "") not in _BLOCK_TAGS):
        rest[-1].insert_after(node)
        node.decompose()


def _visible_text(top: LexborNode | None, skip: frozenset[str]) -> str:
    """The text under ``top``, without elements named in ``skip``; block elements start new lines.

    The walk follows child, sibling and parent links instead of recursing, so a hostile page nested
    thousands of elements deep costs no stack. Whitespace inside text collapses as a browser shows
    it, except inside ``<pre>``.
    """
    if top is None:
        return ""
    parts: list[str] = []
    preformatted = 0
    stop = top.mem_id
    node = top.child
    while node is not None:
        tag = node.tag or ""
        if tag == "-text":
            text = node.text_content or ""
            parts.append(text.replace("\n", _BREAK) if preformatted else text)
        elif tag not in skip and not tag.startswith("-"):  # comments, doctypes and the like have no text
            parts.append(_BREAK if tag in _BLOCK_TAGS else "")
            preformatted += tag == "pre"
            if node.child is not None:
                node = node.child
                continue
            preformatted -= tag == "pre"
            parts.append(_BREAK if tag in _BLOCK_TAGS else "")
        while node.next is None:  # leave every element that has no more children
            node = node.parent
            if node is None or node.mem_id == stop:
                return _join_lines(parts)
            preformatted -= node.tag == "pre"
            parts.append(_BREAK if node.tag in _BLOCK_TAGS else "")
        node = node.next
    return _join_lines(parts)


def _join_lines(parts: list[str]) -> str:
    lines = (" ".join(line.split()) for line in "".join(parts).split(_BREAK))
    return "\n".join(line for line in lines if line)


def normalize_space(text: str) -> str:
    """Collapse runs of spaces inside lines and drop empty lines."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def canonical_url(url: str) -> str:
    """The conservative identity key of ``url``: see :func:`digest.urls.identity_key`."""
    return identity_key(url)


def safe_url(url: str) -> str:
    """``url`` if its scheme is http, https or mailto once entities and whitespace are gone, else ``""``.

    Feed parsers hand ``javascript:`` links through unchanged, so every URL a template puts in an
    ``href`` goes through here. The URL is read the way a browser reads an ``href``: entities
    decoded, tabs and newlines removed anywhere, control characters and spaces trimmed at the ends.
    """
    decoded = _URL_INVISIBLE.sub("", html.unescape(url or "")).strip(_URL_TRIM)
    scheme, sep, _ = decoded.partition(":")
    if not sep or not _SCHEME.fullmatch(scheme):
        return ""  # relative URLs have no base once the digest leaves the feed: drop them
    if scheme.lower() not in _SAFE_SCHEMES:
        return ""
    return _URL_CONTROL.sub("", decoded).replace(" ", "%20")


def content_hash(*parts: str) -> str:
    """A short stable hash of some text, for ids of articles that have neither GUID nor URL."""
    digest = hashlib.sha256("\x1f".join(normalize_space(p) for p in parts).encode("utf-8"))
    return digest.hexdigest()[:24]


def slugify(text: str) -> str:
    """A lower-case ASCII anchor name for a heading."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "section"


# The language of a saved file is not known when it is read: English rules for where its first
# sentence ends (which full stops are abbreviations) suit most languages written with Latin letters.
_TITLE_LANGUAGE = "en"
_DATE_OR_NUMBER = re.compile(r"^[\d\s/.,:\-–]+$")
# A web address, also as some corpora keep it, tokenized: "http:// www. example. com/…".
_ADDRESS = re.compile(r"\b(?:https?:|www\.)", re.I)


def _looks_like_headline(line: str, *, first: bool) -> bool:
    words = line.split()
    if not 3 <= len(words) <= 20 or not _is_prose(line) or line.endswith((":", ";", ",")):
        return False
    # A short opening line is the headline even when it ends in a full stop; further down, a line
    # ending in one is more likely the first sentence of the body.
    return not line.endswith(".") or (first and len(words) <= 14)


def _is_prose(line: str) -> bool:
    """Not a date line or time stamp, a number or a web address (a page's URL captured above its text)."""
    if _DATE_OR_NUMBER.match(line) or _ADDRESS.search(line):
        return False
    # "Posted 11/27/2005 7: 21 AM", "Updated: November 11, 2011 20: 09 IST": more figures than words.
    tokens = line.split()
    figures = sum(any(c.isdigit() for c in t) for t in tokens)
    return not (figures >= 2 and figures > len(tokens) - figures)


def guess_title(text: str) -> tuple[str, str]:
    """Split plain text into a headline and a body.

    Saved pages often open with a site name, a date line or a view counter before the headline, or
    have no headline at all. The headline is the first of the opening lines that reads like one;
    what stands before it is page furniture and is dropped. Without one, the headline is the first
    sentence, whole, of the first line of prose, and the body is the text after it, so that sentence
    is not said twice.
    """
    lines = [line for line in normalize_space(text).splitlines() if line]
    for index, line in enumerate(lines[:5]):
        if _looks_like_headline(line.lstrip("# "), first=index == 0):
            body = [rest for rest in lines[index + 1 :] if rest != line]
            return line.lstrip("# ").strip(), "\n".join(body)
    if not lines:
        return "(untitled)", ""
    start = _first_prose(lines)
    first = first_sentence(lines[start])
    rest = lines[start][lines[start].index(first) + len(first) :].strip()
    return first, "\n".join([rest, *lines[start + 1 :]] if rest else lines[start + 1 :])


def _first_prose(lines: list[str]) -> int:
    """The index of the first line of prose among ``lines``; 0 when none reads as prose."""
    return next((n for n, line in enumerate(lines) if _is_prose(line)), 0)


def first_sentence(text: str) -> str:
    """The first sentence, whole, of ``text``'s first line of prose: the headline of an article that has none."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    line = lines[_first_prose(lines)]
    return next((s.strip() for s in sentencex.segment(_TITLE_LANGUAGE, line) if s.strip()), line)


@cache
def _trafilatura() -> Callable[..., str | None] | None:
    try:
        module = importlib.import_module("trafilatura")
    except ImportError:
        return None
    extract_text: Callable[..., str | None] = module.extract
    return extract_text


def main_text(page: str, *, library: bool = True) -> str:
    """The article text of a whole web page, without menus, footers and comments.

    With the ``extract`` extra installed (and ``library``), trafilatura does it: token F1 0.94 against
    Mozilla Readability's expected text, vs 0.90 for the fallback here and 0.81 for all visible text
    (``benchmarks/extract_quality.py``). The fallback is the visible text of the page's largest
    ``<article>``/``<main>`` element, or of the whole page when it has none, without menus,
    sidebars, footers and forms.
    """
    extract_text = _trafilatura() if library else None
    page = bound_markup(page)
    if extract_text is not None:
        try:
            found = extract_text(page, include_comments=False, favor_recall=True)
        except Exception as exc:  # a third-party parser failing on one page must not sink the run
            log.debug("trafilatura failed, falling back to the visible text: %s", exc)
            found = None
        if found:
            return normalize_space(found)
    return _page_text(page)


def _page_text(page: str) -> str:
    """The visible text of the page's largest ``<article>``/``<main>`` element, else of all its body.

    Menus, sidebars, footers and forms are left out: on a whole page they are chrome.
    """
    tree = _parse(page)
    skip = _SKIP_TAGS | _CHROME_TAGS
    texts = [_visible_text(node, skip) for node in tree.css("article, main")]
    best = max(texts, key=len, default="")
    return best if len(best) > 200 else _visible_text(tree.root, skip)
