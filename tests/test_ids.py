"""Stable article ids: feed GUID, else canonical URL, else a content hash."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from digest.sources import parse_feed
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


def test_undated_and_future_items_are_flagged_undated() -> None:
    feed = _rss(
        "<item><guid>old</guid><title>A</title><pubDate>Tue, 17 Nov 2026 14:00:00 GMT</pubDate></item>"
        "<item><guid>none</guid><title>B</title></item>"
        "<item><guid>future</guid><title>C</title><pubDate>Tue, 17 Nov 2099 14:00:00 GMT</pubDate></item>"
    )
    dated = {a.id.removeprefix("f#guid:"): (a.published, ok) for a, ok in parse_feed(feed, location="f", now=NOW)}
    assert dated["old"] == (datetime(2026, 11, 17, 14, 0, tzinfo=UTC), True)
    assert dated["none"] == (NOW, False)
    assert dated["future"] == (NOW, False)
