"""Stable article ids: feed GUID, else canonical URL, else a content hash."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.config import Config, SourceConfig
from digest.sources import gather, parse_feed
from digest.textutil import canonical_url

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _rss(items: str) -> bytes:
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://Example.ORG/a?utm_source=x&id=3&fbclid=y#top", "https://example.org/a?id=3"),
        ("http://example.org:80", "http://example.org/"),
        ("https://example.org/p?gclid=1&mc_cid=2", "https://example.org/p"),
    ],
)
def test_canonical_url_drops_tracking_and_lowercases_host(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


def test_id_fallback_chain() -> None:
    feed = _rss(
        "<item><guid>guid-1</guid><link>https://example.org/1</link><title>A</title></item>"
        "<item><link>https://Example.org/2?utm_medium=rss</link><title>B</title></item>"
        "<item><title>C</title><description>no link, no guid</description></item>"
    )
    (a, _), (b, _), (c, _) = parse_feed(feed, location="https://example.org/feed", now=NOW)
    assert a.id == "https://example.org/feed#guid:guid-1"
    assert b.id == "https://example.org/2"
    assert c.id.startswith("sha256:")
    (again, _) = parse_feed(feed, location="https://example.org/feed", now=NOW)[2]
    assert again.id == c.id, "the content hash is stable across runs"


def test_undated_items_are_flagged_undated_and_later_ones_keep_their_date() -> None:
    feed = _rss(
        "<item><guid>old</guid><title>A</title><pubDate>Tue, 17 Nov 2026 14:00:00 GMT</pubDate></item>"
        "<item><guid>none</guid><title>B</title></item>"
        "<item><guid>future</guid><title>C</title><pubDate>Tue, 17 Nov 2099 14:00:00 GMT</pubDate></item>"
    )
    dated = {a.id.removeprefix("f#guid:"): (a.published, ok) for a, ok in parse_feed(feed, location="f", now=NOW)}
    assert dated["old"] == (datetime(2026, 11, 17, 14, 0, tzinfo=UTC), True)
    assert dated["none"] == (NOW, False)
    assert dated["future"] == (datetime(2099, 11, 17, 14, 0, tzinfo=UTC), True)


def test_two_feeds_sharing_a_guid_both_deliver(tmp_path: Path) -> None:
    paths = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.xml"
        path.write_bytes(_rss(f"<item><guid>1</guid><title>{name} one</title></item>"))
        paths.append(str(path))
    gathered = gather(Config(sources=tuple(SourceConfig(path=p) for p in paths)), now=NOW)
    assert sorted(a.title for a in gathered.articles) == ["a one", "b one"]
    assert len({a.id for a in gathered.articles}) == 2


def test_json_feed_id_true_z_offset_and_relative_url_with_a_url_in_its_query() -> None:
    doc = (
        b'{"version": "https://jsonfeed.org/version/1.1", "home_page_url": "https://j.example/",'
        b' "items": [{"id": true, "url": "/go?to=https://other.example/x", "title": "A",'
        b' "date_published": "2026-11-20T08:30:00z"}]}'
    )
    [(article, dated)] = parse_feed(doc, location="https://j.example/feed.json", now=NOW)
    assert "True" not in article.id
    assert article.id == "https://j.example/go?to=https://other.example/x"
    assert article.url == "https://j.example/go?to=https://other.example/x"
    assert dated and article.published == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
