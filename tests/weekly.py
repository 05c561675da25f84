"""Feeds written on the fly for tests that run several weeks: each item a distinct, dated article."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = ["Item", "article_ids_in", "scoped_id", "story", "write_feed"]

_TOPICS = (
    "harbor",
    "library",
    "orchestra",
    "bakery",
    "glacier",
    "railway",
    "vineyard",
    "observatory",
    "marathon",
    "volcano",
    "aquarium",
    "lighthouse",
    "satellite",
    "cathedral",
    "beekeeper",
    "submarine",
)


@dataclass(frozen=True, slots=True)
class Item:
    guid: str
    title: str
    published: datetime
    text: str = ""
    categories: tuple[str, ...] = ()


def story(n: int, published: datetime, *, title: str = "", text: str = "", categories: Sequence[str] = ()) -> Item:
    """Article ``n``: its own topic word, so no two articles cluster into one story."""
    topic = f"{_TOPICS[n % len(_TOPICS)]}{n}"
    body = text or (
        f"The {topic} committee announced a new plan on Monday. Officials said the {topic} project "
        f"would open next spring after years of delay. Residents welcomed the {topic} news at a meeting. "
        f"The {topic} budget was approved by a narrow vote of the council."
    )
    return Item(f"urn:test:{n}", title or f"The {topic} plan is approved", published, body, tuple(categories))


def write_feed(path: Path, items: Sequence[Item], *, title: str = "Test Wire", language: str = "en") -> Path:
    entries = []
    for item in items:
        cats = "".join(f"<category>{escape(c)}</category>" for c in item.categories)
        entries.append(
            f"<item><guid isPermaLink='false'>{escape(item.guid)}</guid><title>{escape(item.title)}</title>"
            f"<link>https://example.org/{escape(item.guid.rpartition(':')[2])}</link>"
            f"<pubDate>{format_datetime(item.published)}</pubDate>{cats}"
            f"<description>{escape(item.text)}</description></item>"
        )
    path.write_text(
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{escape(title)}</title><link>https://example.org/</link><language>{language}</language>"
        f"<description>test</description>{''.join(entries)}</channel></rss>",
        encoding="utf-8",
    )
    return path


def article_ids_in(message: EmailMessage) -> set[str]:
    """The example.org article numbers a delivered message links to."""
    import re

    text = "".join(part.get_content() for part in message.walk() if part.get_content_maintype() == "text")
    return set(re.findall(r"https://example\.org/(\d+)\b", text))


def scoped_id(feed: Path, n: int) -> str:
    """The id of :func:`story` ``n`` read from the feed file ``feed``: its GUID, scoped to the feed."""
    return f"{feed.resolve()}#guid:urn:test:{n}"
