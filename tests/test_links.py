"""Links as the feed gave them: only tracking parameters removed; a conservative identity key."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.sources import parse_feed
from digest.urls import identity_key, is_absolute, link_url, strip_tracking

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FEEDS = Path(__file__).resolve().parents[2] / "shared" / "bench" / "feeds"


def _rss(items: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://blog.example/</link>{items}</channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    "url",
    [
        "https://blog.example/index.php?/archives/123-title.html",
        "https://blog.example/forum?id=1;page=2",
        "https://blog.example/#!/post/42",
        "https://User:PassWord@blog.example/private",
        "https://blog.example/a?q=x%2By&empty=&flag",
        "https://blog.example/search?q=caf%C3%A9&sort=new#comments",
        "https://blog.example/a?",
    ],
)
def test_a_link_without_tracking_comes_through_byte_for_byte(url: str) -> None:
    assert link_url(url) == url
    [(article, _)] = parse_feed(
        _rss(f"<item><title>A</title><link>{html.escape(url)}</link></item>"), location="f", now=NOW
    )
    assert article.url == url


@pytest.mark.parametrize(
    ("url", "cleaned"),
    [
        ("https://b.example/p?id=3&mkt_tok=abc&_ga=1.2.3&yclid=9", "https://b.example/p?id=3"),
        ("https://b.example/p?utm_source=x;id=1;page=2", "https://b.example/p?id=1;page=2"),
        ("https://b.example/p?fbclid=x#frag", "https://b.example/p#frag"),
        ("https://b.example/p?a=1&utm_medium=rss&b=2", "https://b.example/p?a=1&b=2"),
        ("https://b.example/p?%75tm_source=x&keep", "https://b.example/p?keep"),
    ],
)
def test_tracking_parameters_are_cut_from_the_raw_query(url: str, cleaned: str) -> None:
    assert strip_tracking(url) == cleaned


def test_the_identity_key_changes_only_what_cannot_tell_pages_apart() -> None:
    assert identity_key("HTTPS://Blog.EXAMPLE:443?x=1#top") == "https://blog.example/?x=1"
    assert identity_key("http://User:PassWord@Blog.example:80/a") == "http://User:PassWord@blog.example/a"
    assert identity_key("https://blog.example/index.php?/archives/1-a.html") == (
        "https://blog.example/index.php?/archives/1-a.html"
    )
    assert identity_key("https://blog.example/#!/post/42") != identity_key("https://blog.example/#!/post/43")
    assert identity_key("https://blog.example/app#/post/42") == "https://blog.example/app#/post/42"
    assert identity_key("mailto:Ann@Example.org") == "mailto:Ann@Example.org"


def test_hashbang_links_without_guids_are_distinct_articles() -> None:
    items = "".join(
        f"<item><title>Post {n}</title><link>https://blog.example/#!/post/{n}</link></item>" for n in (42, 43)
    )
    found = parse_feed(_rss(items), location="f", now=NOW)
    assert [a.url for a, _ in found] == ["https://blog.example/#!/post/42", "https://blog.example/#!/post/43"]
    assert len({a.id for a, _ in found}) == 2


def test_a_relative_link_is_resolved_even_with_a_url_in_its_query() -> None:
    assert not is_absolute("/out?to=https://elsewhere.example/")
    items = "<item><title>A</title><link>/out?to=https://elsewhere.example/</link></item>"
    [(article, _)] = parse_feed(_rss(items), location="f", now=NOW)
    assert article.url == "https://blog.example/out?to=https://elsewhere.example/"


def _expected_links() -> list[str]:
    links: list[str] = []
    for path in sorted((FEEDS / "rss-parser-realfeeds" / "test" / "output").glob("*.json")):
        items = json.loads(path.read_bytes().decode("utf-8", "replace")).get("feed", {}).get("items", [])
        links.extend(i["link"] for i in items if isinstance(i.get("link"), str))
    for path in sorted((FEEDS / "gofeed-testdata" / "testdata" / "parser").rglob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        items = doc.get("items") if isinstance(doc, dict) else None
        links.extend(i["link"] for i in items or [] if isinstance(i, dict) and isinstance(i.get("link"), str))
    return [link for link in links if link.startswith(("http://", "https://"))]


def test_real_links_from_the_feed_corpora_round_trip_unchanged() -> None:
    links = _expected_links()
    if not links:
        pytest.skip("the feed corpora are not here (../shared/bench/feeds)")
    # Only links that carry a tracking parameter may change: every other one comes back as it was.
    plain = [link for link in links if "utm_" not in link and "fbclid" not in link]
    assert len(plain) > 200
    assert [link for link in plain if link_url(link) != link] == []


def test_white_space_before_a_dropped_fragment_stays_in_the_key() -> None:
    key = identity_key(link_url("0\x0c#0", "https://blog.example/a/"))
    assert key == "https://blog.example/a/0%0C" != identity_key("https://blog.example/a/0")
    assert identity_key(key) == key


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), st.sampled_from(["", "https://blog.example/a/", "http://[", "not a url"]))
def test_any_text_gives_a_link_and_a_key_without_raising(url: str, base: str) -> None:
    link = link_url(url, base)
    assert strip_tracking(link) == link, "stripping is done once and for all"
    assert identity_key(identity_key(link)) == identity_key(link)


# No tracking parameter's name starts with "k".
@given(
    st.from_regex(
        r"https://[a-z]{1,8}\.example/[a-z0-9/._-]{0,20}(\?k[a-z0-9_]{0,5}(=[a-z0-9%/?._-]{0,10})?([&;]k[a-z0-9_]{0,5}=?[a-z0-9%/._-]{0,10}){0,3})?(#[!/a-z0-9]{0,8})?",
        fullmatch=True,
    )
)
def test_a_link_without_tracking_parameters_is_never_touched(url: str) -> None:
    assert link_url(url) == url
