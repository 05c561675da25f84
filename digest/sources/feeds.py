"""Feed documents to articles: RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 via feedparser, JSON Feed 1.0/1.1 here.

Released feedparser does not read JSON Feed, so a small reader fills that gap. Raw parser output
never leaves this module: what comes out is :class:`~digest.models.Article` values, each paired
with whether the feed gave it a usable date (a missing or unparseable date falls back to the time
the article was first seen, which the state store remembers). A date after the run's ``now`` is kept:
the article belongs to a later week's window, and waits for the issue that covers it. An item's plain text is
left for the extract stage to derive from its HTML, so the many items outside the week's window
cost no HTML parsing.
"""

from __future__ import annotations

import functools
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
from selectolax.lexbor import LexborHTMLParser

from ..bounds import bound_markup
from ..clean import clean_article, clean_name, clean_text
from ..config import FetchConfig
from ..dates import DateBudget, from_struct, iso_datetime
from ..errors import ParseError
from ..models import Article, Problem
from ..textutil import content_hash, first_sentence, html_to_text, normalize_space
from ..urls import identity_key, legacy_key, link_url
from .entities import check_entities

__all__ = ["Parsed", "parse_feed", "stable_id"]

# A feed a web page names: <link rel="alternate" type="application/rss+xml" href="…">.
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
# Control characters are not text (XML forbids most of them; feedparser's loose mode lets them through).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
Parsed = list[tuple[Article, bool]]
_MAX_BYTES = FetchConfig().max_bytes
# Items named one by one in the problems when their dates cannot be read; the rest are counted.
_NAMED_UNDATED = 3


@dataclass(frozen=True, slots=True)
class _Feed:
    """What every article of one feed shares."""

    source: str
    location: str
    base: str
    category: str
    language: str
    now: datetime
    unreadable: list[str] = field(default_factory=list)
    # Items that could not be read at all, as "item N: what went wrong"; the feed's other items still count.
    failed: list[str] = field(default_factory=list)
    dates: DateBudget = field(default_factory=DateBudget)

    def article(
        self, *, guid: str, url: str, title: str, html: str, text: str, author: str, tags: Iterable[str], **more: Any
    ) -> tuple[Article, bool]:
        published: datetime | None = more.get("published")
        language: str = more.get("language") or self.language
        written: str = more.get("date_text", "")
        if published is None and written.strip():
            published = self.dates.parse(written, languages=[language] if language else [])
        url = link_url(url, self.base)
        title = _CONTROL.sub("", title)
        # An untitled item is headed by its first sentence, whole (the summary then leaves it out);
        # its content hash keeps reading the opening characters it always has, so its id stays.
        body = "" if title else text or html_to_text(html)
        opening = title or body[:80].partition("\n")[0]
        title = title or first_sentence(body)
        if published is None and written.strip():
            self.unreadable.append(f"{title or url or guid or '(untitled)'!r} ({written.strip()[:60]!r})")
        dated = published is not None
        article = Article(
            id=stable_id(guid, url, opening, html or text, feed=self.location),
            title=title or "(untitled)",
            url=url,
            source=self.source,
            published=published or self.now,
            text=text,
            summary_html=html,
            author=author,
            categories=tuple(dict.fromkeys([*([self.category] if self.category else []), *tags])),
            language=language,
            feed_url=self.location,
            aliases=_aliases(guid, url),
        )
        return clean_article(article), dated

    def items(self, entries: Iterable[Any], read: Callable[[Any, _Feed], tuple[Article, bool]]) -> Parsed:
        """Each entry read by ``read``; one that fails is noted in :attr:`failed` and the others go on."""
        found = []
        for number, entry in enumerate(entries, 1):
            try:
                found.append(read(entry, self))
            except Exception as exc:  # any one item, however odd, must not cost the feed its others
                self.failed.append(f"item {number}: {type(exc).__name__}: {clean_text(str(exc))[:200]}")
        return found

    def report(self, problems: list[Problem] | None) -> None:
        """One problem naming the items whose dates could not be read (they keep their first-seen time)."""
        if problems is None:
            return
        if self.failed:
            others = f" and {len(self.failed) - 1} more" if len(self.failed) > 1 else ""
            problems.append(
                Problem(
                    self.location,
                    f"unreadable {self.failed[0]}{others}: skipped",
                    "the feed's other items were read; tell its publisher if this one matters",
                )
            )
        if not self.unreadable:
            return
        named = "; ".join(self.unreadable[:_NAMED_UNDATED])
        more = len(self.unreadable) - _NAMED_UNDATED
        rest = f" and {more} more" if more > 0 else ""
        problems.append(
            Problem(
                self.location,
                f"unreadable date on {named}{rest}: dated by when first seen",
                "the feed writes its dates in a form no date parser knows; tell its publisher (RFC 822 or ISO 8601)",
            )
        )


def parse_feed(
    data: bytes,
    *,
    location: str,
    name: str = "",
    category: str = "",
    now: datetime,
    content_type: str = "",
    problems: list[Problem] | None = None,
    max_bytes: int = _MAX_BYTES,
) -> Parsed:
    """Articles of a feed document, each with whether the feed dated it; :class:`ParseError` if it is none.

    Items whose dates cannot be read become one entry in ``problems`` (when given). A feed whose
    entities would expand it past ``max_bytes`` is refused before it is parsed.
    """
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head in (b"{", b"["):
        feed, found = _parse_json_feed(data, location=location, name=name, category=category, now=now)
    else:
        check_entities(data, location=location, max_bytes=max_bytes)
        feed, found = _parse_xml_feed(
            data, location=location, name=name, category=category, now=now, content_type=content_type
        )
    feed.report(problems)
    return _unique(found)


def _unique(found: Parsed) -> Parsed:
    """Drop repeated GUIDs within one feed (some feeds repeat items); the first one wins."""
    seen: set[str] = set()
    out = []
    for article, dated in found:
        if article.id not in seen:
            seen.add(article.id)
            out.append((article, dated))
    return out


def _parse_xml_feed(
    data: bytes, *, location: str, name: str, category: str, now: datetime, content_type: str
) -> tuple[_Feed, Parsed]:
    headers = {"content-type": content_type} if content_type else None
    try:
        # A stream, never the bytes: given bytes or a str, feedparser first tries them as a file name or
        # URL, so a server answering "/home/runner/.env" or "/dev/zero" would have it read that file.
        parsed = feedparser.parse(
            io.BytesIO(data), sanitize_html=False, resolve_relative_uris=False, response_headers=headers
        )
    except Exception as exc:  # feedparser has no error contract; one odd file must not sink the run
        raise ParseError(f"the feed parser failed: {exc}", source=location, hint="the feed is malformed") from exc
    if _amplified(parsed.get("bozo_exception")):
        # expat stopped at its amplification limit: what feedparser's loose parser made of it instead
        # is the expansion expat refused, so none of it is used.
        raise ParseError(
            "entity expansion past the XML parser's limit",
            source=location,
            hint="an entity expansion attack on feed readers, or a broken feed: tell its publisher",
        )
    if not parsed.get("version") and not parsed.entries:
        raise _not_a_feed(data, parsed.get("bozo_exception"), location)
    feed = parsed.get("feed", {})
    base = feed.get("link") or (location if "://" in location else "")
    context = _Feed(
        source=name or clean_name(_text(feed.get("title", ""))) or location,
        location=location,
        base=base if isinstance(base, str) else "",
        category=category,
        language=_text(feed.get("language")),
        now=now,
    )
    return context, context.items(parsed.entries, _entry)


def _amplified(reason: object) -> bool:
    text = str(reason or "").lower()
    return "amplification" in text or "entity expansion" in text or "recursive entity" in text


def _not_a_feed(data: bytes, reason: object, location: str) -> ParseError:
    sniff = data[:4096].lower()
    if not data.strip():
        return ParseError("empty response", source=location, hint="the server sent nothing: check the URL")
    if b"<html" in sniff or b"<!doctype html" in sniff:
        href = _feed_link(data[:200_000].decode("utf-8", "replace"))
        link = urljoin(location, href) if href else ""
        hint = f"use the page's feed instead: {link}" if link else "point the source at the site's RSS/Atom feed"
        return ParseError("an HTML page, not a feed", source=location, hint=hint)
    detail = f": {reason}" if reason else ""
    return ParseError(
        f"not a feed (no RSS, Atom or JSON Feed found){detail}",
        source=location,
        hint="check that the URL points at the feed itself",
    )


def _feed_link(page: str) -> str:
    """The first feed a web page links to, read from its parsed tree (a pattern over the page took minutes)."""
    tree = LexborHTMLParser(bound_markup(page.replace("\x00", "")))
    for node in tree.css("link[href][type]"):
        kind = (node.attributes.get("type") or "").strip().lower()
        rel = (node.attributes.get("rel") or "").lower().split()
        if kind in _FEED_TYPES[:2] or (kind == _FEED_TYPES[2] and "alternate" in rel):
            return (node.attributes.get("href") or "").strip()
    return ""


def _entry(entry: Any, feed: _Feed) -> tuple[Article, bool]:
    # Plain dict lookups of feedparser's canonical keys: its own get() remaps legacy names on every
    # call (and warns when it maps updated to published), which costs more than the rest of this.
    field = functools.partial(dict.get, entry)
    content = field("content") or []
    body = max((_text(c.get("value", "")) for c in content if hasattr(c, "get")), key=len, default="")
    html = body or _text(field("summary"))
    published = from_struct(field("published_parsed")) or from_struct(field("updated_parsed"))
    written = "" if published else _text(field("published")) or _text(field("updated"))
    tags = [_text(t.get("term")) for t in field("tags") or [] if hasattr(t, "get") and t.get("term")]
    return feed.article(
        guid=_text(field("id")),
        url=_text(field("link")),
        title=html_to_text(_text(field("title"))).replace("\n", " "),
        html=html,
        text="",  # the extract stage derives it from the HTML, only for the articles the run keeps
        author=normalize_space(_text(field("author"))),
        tags=tags,
        published=published,
        date_text=written,
        language=_text(field("language")),
    )


def stable_id(guid: str, url: str, title: str, body: str, *, feed: str = "") -> str:
    """Feed GUID scoped to its feed, else the URL's identity key, else a hash of the content.

    The rss2email fallback chain, and like rss2email a GUID is only unique within its feed: two
    feeds that both number their items ``1``, ``2``… do not share articles. ``feed`` is the feed's
    configured location.
    """
    guid = guid.strip()
    if guid:
        return f"{feed}#guid:{guid}" if feed else guid
    if url:
        return identity_key(url)
    return "sha256:" + content_hash(title, body)


def _aliases(guid: str, url: str) -> tuple[str, ...]:
    """The ids earlier versions gave this item (the bare GUID, the old URL key), for stores they wrote."""
    guid = guid.strip()
    if guid:
        return (guid,)
    old = legacy_key(url) if url else ""
    return (old,) if old and old != identity_key(url) else ()


def _parse_json_feed(data: bytes, *, location: str, name: str, category: str, now: datetime) -> tuple[_Feed, Parsed]:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ParseError(f"invalid JSON: {exc}", source=location, hint="the JSON Feed is malformed") from exc
    # Some writers put "1.1" as the version or leave it out; a list of items still makes it a feed.
    versioned = isinstance(doc, dict) and "jsonfeed.org/version/" in _text(doc.get("version"))
    if not isinstance(doc, dict) or not (versioned or isinstance(doc.get("items"), list)):
        raise ParseError(
            "JSON but not a JSON Feed (no jsonfeed.org version)",
            source=location,
            hint="check that the URL points at the feed itself",
        )
    base = _text(doc.get("home_page_url")) or (location if "://" in location else "")
    feed = _Feed(
        source=name or clean_name(_text(doc.get("title"))) or location,
        location=location,
        base=base,
        category=category,
        language=_text(doc.get("language")),
        now=now,
    )
    feed_author = _authors(doc)
    items = doc.get("items")
    dicts = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    return feed, feed.items(dicts, functools.partial(_json_item, feed_author=feed_author))


def _json_item(item: dict[str, Any], feed: _Feed, *, feed_author: str) -> tuple[Article, bool]:
    html = _text(item.get("content_html"))
    text = "" if html else normalize_space(_text(item.get("content_text")) or _text(item.get("summary")))
    tags = item.get("tags")
    published = _iso_date(item.get("date_published")) or _iso_date(item.get("date_modified"))
    written = "" if published else _text(item.get("date_published")) or _text(item.get("date_modified"))
    return feed.article(
        guid=_json_id(item.get("id")),
        url=_text(item.get("url")) or _text(item.get("external_url")),
        title=normalize_space(_text(item.get("title"))).replace("\n", " "),
        html=html,
        text=text,
        author=_authors(item) or feed_author,
        tags=[_text(t) for t in tags if isinstance(t, str)] if isinstance(tags, list) else [],
        published=published,
        date_text=written,
        language=_text(item.get("language")),
    )


def _json_id(value: Any) -> str:
    """The spec says a string; numbers are common and unambiguous. ``true`` or an object is no id."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        return str(value)
    return _text(value)


def _authors(obj: dict[str, Any]) -> str:
    """JSON Feed 1.1 ``authors`` (a list), else 1.0 ``author`` (one object)."""
    found = obj.get("authors")
    if not isinstance(found, list):
        found = [obj.get("author")]
    names = [_text(a.get("name")) for a in found if isinstance(a, dict)]
    return ", ".join(normalize_space(n) for n in names if n.strip())


def _text(value: Any) -> str:
    """A string the feed gave, clean (:func:`~.clean.clean_text`): anything else is no text."""
    return clean_text(value) if isinstance(value, str) else ""


def _iso_date(value: Any) -> datetime | None:
    return iso_datetime(value) if isinstance(value, str) else None
