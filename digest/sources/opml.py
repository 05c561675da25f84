"""OPML 1.0/2.0 subscription lists: the feeds they list, with nested outlines kept as categories.

An outline with ``xmlUrl`` is a feed; one with ``type="include"`` and a ``url`` is another OPML list
read in its place. :func:`read_opml` only parses one document; the source stage follows includes and
stops at loops and at lists that name themselves. XML is parsed with defusedxml, so an entity bomb
or an external entity is an error, not a hang.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ..clean import clean_name, clean_text
from ..config import SourceConfig
from ..errors import ParseError

__all__ = ["MAX_OUTLINES", "MAX_OUTLINE_DEPTH", "Opml", "read_opml", "resolve"]

# Folders nested deeper than this are not read (a real reader's export nests two or three deep); nor are
# outlines past the first MAX_OUTLINES of one list. Each cut is one problem line.
MAX_OUTLINE_DEPTH = 32
MAX_OUTLINES = 20_000


@dataclass(frozen=True, slots=True)
class Opml:
    """One OPML document: the feeds it lists, nested lists it includes, and entries that name it."""

    feeds: tuple[SourceConfig, ...]
    includes: tuple[str, ...] = ()
    self_references: int = 0
    # What was cut from the list (too deep, too many outlines), as problem messages.
    cut: tuple[str, ...] = ()


def resolve(base: str, target: str) -> str:
    """``target`` as an absolute URL or path, relative to the document at ``base``."""
    target = target.strip()
    if "://" in base:
        return urljoin(base, target)
    if "://" in target:
        return target
    return str((Path(base).parent / target).resolve())


def _parse(data: bytes) -> ET.Element:
    try:
        return fromstring(data)
    except ET.ParseError:
        # Many exporters write bare & in URLs or stray quotes in titles: read such a list leniently.
        if b"<opml" not in data[:2000].lower():
            raise
        text = data.decode("utf-8", errors="replace")
        loose = _Loose()
        loose.feed(text)
        loose.close()
        if loose.root.find(".//outline") is None:
            raise
        return loose.root


class _Loose(HTMLParser):
    """Outlines of a malformed OPML document, the way a browser would read the tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = ET.Element("opml")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("body", "outline"):
            element = ET.SubElement(self.stack[-1], tag, {k: v or "" for k, v in attrs})
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("body", "outline"):
            ET.SubElement(self.stack[-1], tag, {k: v or "" for k, v in attrs})

    def handle_endtag(self, tag: str) -> None:
        if tag in ("body", "outline") and len(self.stack) > 1 and self.stack[-1].tag == tag:
            self.stack.pop()


def read_opml(data: bytes, *, location: str, category: str = "") -> Opml:
    """Feeds listed in an OPML document; a nested outline's title becomes its feeds' category."""
    try:
        root = _parse(data)
    except DefusedXmlException as exc:
        raise ParseError(
            f"OPML with entity or DTD declarations refused: {exc}",
            source=location,
            hint="export the list again from your reader",
        ) from exc
    except (ET.ParseError, ValueError) as exc:
        raise ParseError(f"not valid OPML: {exc}", source=location, hint="export the list again") from exc
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise ParseError("not an OPML document (no <opml><body>)", source=location, hint="export the list again")
    walk = _Walk(location)
    walk.outlines(body, category)
    return Opml(tuple(walk.feeds), tuple(dict.fromkeys(walk.includes)), walk.self_references, walk.cut())


class _Walk:
    def __init__(self, location: str) -> None:
        self.location = location
        self.feeds: list[SourceConfig] = []
        self.includes: list[str] = []
        self.self_references = 0
        self.too_deep = 0
        self.too_many = 0

    def outlines(self, node: ET.Element, category: str) -> None:
        """Every outline under ``node`` in document order, walked with a stack: nesting costs no recursion."""
        todo = [(outline, category, 1) for outline in reversed(node.findall("outline"))]
        seen = 0
        while todo:
            outline, category, depth = todo.pop()
            seen += 1
            if seen > MAX_OUTLINES:
                self.too_many = 1 + len(todo)
                return
            attrs = {k.lower(): v for k, v in outline.attrib.items()}
            kind = attrs.get("type", "").lower()
            label = clean_name(attrs.get("title") or attrs.get("text") or "")
            feed_url = clean_text(attrs.get("xmlurl", "")).strip()
            if not feed_url and kind in ("rss", "atom") and attrs.get("url"):
                feed_url = clean_text(attrs["url"]).strip()  # some OPML 1.0 writers put the feed in url=
            if kind == "include" and attrs.get("url"):
                self._include(resolve(self.location, clean_text(attrs["url"])))
            elif feed_url:
                self._feed(resolve(self.location, feed_url), label, category)
            children = outline.findall("outline")
            if children and depth >= MAX_OUTLINE_DEPTH:
                self.too_deep += 1
                continue
            # An outline with children is a folder: its title is the category of what it holds.
            inner = label if not feed_url and label else category
            todo.extend((child, inner, depth + 1) for child in reversed(children))

    def cut(self) -> tuple[str, ...]:
        notes = []
        if self.too_deep:
            notes.append(f"outlines nested more than {MAX_OUTLINE_DEPTH} deep were not read")
        if self.too_many:
            notes.append(f"more than {MAX_OUTLINES} outlines: the rest were not read")
        return tuple(notes)

    def _include(self, target: str) -> None:
        if target == self.location:
            self.self_references += 1
        else:
            self.includes.append(target)

    def _feed(self, target: str, label: str, category: str) -> None:
        if target == self.location:
            self.self_references += 1
            return
        if "://" in target:
            self.feeds.append(SourceConfig(name=label, category=category, url=target))
        else:
            self.feeds.append(SourceConfig(name=label, category=category, path=target))
