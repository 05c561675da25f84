"""Feed documents to articles: one golden Article per format, and every kind of bad input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.errors import ParseError
from digest.models import Article
from digest.sources import parse_feed
from digest.textutil import content_hash

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WHEN = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
# Ids from GUIDs are scoped to the feed they came from.
FEED = "https://quay.example/feed#guid:"

RSS2 = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>Quay Notes</title><link>https://quay.example/</link><language>en-gb</language>
<item><title>Tide gauge &amp; pier</title><link>https://Quay.example/tide?utm_source=rss&amp;id=4</link>
<guid isPermaLink="false">quay-4</guid><pubDate>Fri, 20 Nov 2026 08:30:00 GMT</pubDate>
<dc:creator>Ada Marsh</dc:creator><category>Harbour</category>
<description>&lt;p&gt;The new gauge reads the tide.&lt;/p&gt;</description></item>
</channel></rss>"""

RSS1 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://quay.example/"><title>Quay Notes</title><link>https://quay.example/</link>
<description>d</description></channel>
<item rdf:about="https://quay.example/tide"><title>Tide gauge</title><link>https://quay.example/tide</link>
<description>The new gauge reads the tide.</description><dc:date>2026-11-20T08:30:00Z</dc:date></item>
</rdf:RDF>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"><title>Quay Notes</title>
<link href="https://quay.example/"/><id>urn:quay</id><updated>2026-11-20T08:30:00Z</updated>
<entry><title type="html">Tide &lt;em&gt;gauge&lt;/em&gt;</title><id>tag:quay.example,2026:4</id>
<link rel="alternate" href="https://quay.example/tide#top"/><published>2026-11-20T09:30:00+01:00</published>
<updated>2026-11-21T00:00:00Z</updated><author><name>Ada Marsh</name></author><category term="Harbour"/>
<summary>Teaser.</summary><content type="html">&lt;p&gt;The new gauge reads the tide.&lt;/p&gt;</content></entry>
</feed>"""

ATOM03 = b"""<?xml version="1.0"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Quay Notes</title>
<link rel="alternate" type="text/html" href="https://quay.example/"/><modified>2026-11-20T08:30:00Z</modified>
<entry><title>Tide gauge</title><link rel="alternate" type="text/html" href="https://quay.example/tide"/>
<id>tag:quay.example,2026:4</id><issued>2026-11-20T08:30:00Z</issued><modified>2026-11-20T08:30:00Z</modified>
<content type="text/html" mode="escaped">&lt;p&gt;The new gauge reads the tide.&lt;/p&gt;</content></entry></feed>"""

JSON11 = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "Quay Notes",
"home_page_url": "https://quay.example/", "language": "en-GB", "authors": [{"name": "Desk"}],
"items": [{"id": "quay-4", "url": "https://quay.example/tide?fbclid=x", "title": "Tide gauge",
"content_html": "<p>The new gauge reads the tide.</p>", "date_published": "2026-11-20T08:30:00Z",
"authors": [{"name": "Ada Marsh"}], "tags": ["Harbour"]}]}"""

JSON10 = b"""{"version": "https://jsonfeed.org/version/1", "title": "Quay Notes",
"items": [{"id": 4, "url": "/tide", "content_text": "The new gauge reads the tide.",
"date_published": "2026-11-20T08:30:00+00:00", "author": {"name": "Ada Marsh"}}],
"home_page_url": "https://quay.example/"}"""


def one(data: bytes, **kwargs: str) -> tuple[Article, bool]:
    found = parse_feed(data, location="https://quay.example/feed", now=NOW, **kwargs)
    assert len(found) == 1
    return found[0]


def test_rss2_golden_article() -> None:
    article, dated = one(RSS2, category="Local")
    assert dated
    assert article == Article(
        id=FEED + "quay-4",
        title="Tide gauge & pier",
        url="https://Quay.example/tide?id=4",
        source="Quay Notes",
        published=WHEN,
        summary_html="<p>The new gauge reads the tide.</p>",
        author="Ada Marsh",
        categories=("Local", "Harbour"),
        language="en-gb",
        feed_url="https://quay.example/feed",
        aliases=("quay-4",),
    )


def test_rss1_golden_article() -> None:
    article, dated = one(RSS1)
    assert dated
    assert article == Article(
        id=FEED + "https://quay.example/tide",
        title="Tide gauge",
        url="https://quay.example/tide",
        source="Quay Notes",
        published=WHEN,
        summary_html="The new gauge reads the tide.",
        feed_url="https://quay.example/feed",
        aliases=("https://quay.example/tide",),
    )


def test_atom10_golden_article_prefers_content_and_published() -> None:
    article, _ = one(ATOM, name="Quay")
    assert article == Article(
        id=FEED + "tag:quay.example,2026:4",
        title="Tide gauge",
        url="https://quay.example/tide#top",
        source="Quay",
        published=WHEN,
        summary_html="<p>The new gauge reads the tide.</p>",
        author="Ada Marsh",
        categories=("Harbour",),
        language="en",
        feed_url="https://quay.example/feed",
        aliases=("tag:quay.example,2026:4",),
    )


def test_atom03_golden_article() -> None:
    article, dated = one(ATOM03)
    assert dated
    assert (article.id, article.title, article.url, article.published) == (
        FEED + "tag:quay.example,2026:4",
        "Tide gauge",
        "https://quay.example/tide",
        WHEN,
    )
    assert article.summary_html == "<p>The new gauge reads the tide.</p>"


def test_json_feed_11_golden_article() -> None:
    article, dated = one(JSON11)
    assert dated
    assert article == Article(
        id=FEED + "quay-4",
        title="Tide gauge",
        url="https://quay.example/tide",
        source="Quay Notes",
        published=WHEN,
        summary_html="<p>The new gauge reads the tide.</p>",
        author="Ada Marsh",
        categories=("Harbour",),
        language="en-GB",
        feed_url="https://quay.example/feed",
        aliases=("quay-4",),
    )


def test_json_feed_10_numeric_id_relative_url_and_text_only() -> None:
    article, _ = one(JSON10)
    assert article == Article(
        id=FEED + "4",
        title="The new gauge reads the tide.",
        url="https://quay.example/tide",
        source="Quay Notes",
        published=WHEN,
        text="The new gauge reads the tide.",
        author="Ada Marsh",
        feed_url="https://quay.example/feed",
        aliases=("4",),
    )


def test_an_untitled_item_is_headed_by_its_whole_first_sentence_and_keeps_its_id() -> None:
    first = "The harbour board voted on Tuesday night to close the old ferry terminal at the end of the summer."
    item = f"<item><description>&lt;p&gt;{first} Ferries will use the new quay.&lt;/p&gt;</description></item>"
    doc = f'<rss version="2.0"><channel><title>Quay News</title>{item}</channel></rss>'.encode()
    [(article, _)] = parse_feed(doc, location="https://quay.example/feed", now=NOW)
    assert article.title == first
    # No GUID and no link: the id hashes the item's opening 80 characters, as it always has.
    assert article.id == "sha256:" + content_hash(first[:80], article.summary_html)


def test_unparseable_dates_fall_back_to_first_seen_and_later_ones_are_kept() -> None:
    feed = RSS2.replace(b"</channel>", b"<item><guid>b</guid><pubDate>someday</pubDate></item></channel>")
    feed = feed.replace(b"Fri, 20 Nov 2026", b"Sat, 20 Nov 2027")
    (later, later_dated), (bad, bad_dated) = parse_feed(feed, location="f", now=NOW)
    assert bad.published == NOW and not bad_dated
    # Dated after the run's now: not this week's, so not dated as this week; it waits for its own.
    assert later.published.year == 2027 and later_dated


def test_duplicate_guids_are_read_once() -> None:
    item = b"<item><guid>same</guid><title>T</title></item>"
    feed = b'<rss version="2.0"><channel><title>D</title>' + item * 3 + b"</channel></rss>"
    assert [a.id for a, _ in parse_feed(feed, location="f", now=NOW)] == ["f#guid:same"]


def test_latin1_without_declaration_is_decoded() -> None:
    feed = '<rss version="2.0"><channel><title>Caf\xe9</title><item><title>Cr\xe8me</title></item></channel></rss>'
    [(article, _)] = parse_feed(feed.encode("latin-1"), location="f", now=NOW)
    assert article.source == "Café" and article.title == "Crème"


def test_charset_from_http_header_wins() -> None:
    feed = '<?xml version="1.0"?><rss version="2.0"><channel><title>\u0416</title></channel></rss>'
    found = parse_feed(feed.encode("koi8-r"), location="f", now=NOW, content_type="text/xml; charset=koi8-r")
    assert found == []  # a valid feed with no items is not an error


def test_truncated_xml_keeps_the_complete_items() -> None:
    items = b"".join(b"<item><guid>g%d</guid><title>T%d</title></item>" % (i, i) for i in range(3))
    feed = b'<rss version="2.0"><channel><title>Cut</title>' + items + b"<item><guid>g9</guid><ti"
    assert [a.id for a, _ in parse_feed(feed, location="f", now=NOW)][:3] == ["f#guid:g0", "f#guid:g1", "f#guid:g2"]


def test_billion_laughs_is_refused_fast() -> None:
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 12))
    bomb = f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "lol">{entities}]>'
    bomb += '<rss version="2.0"><channel><title>&l11;</title><item><title>x &l11;</title></item></channel></rss>'
    # expat stops at its amplification limit; what feedparser's loose parser would make of it is not used.
    with pytest.raises(ParseError, match="entity expansion"):
        parse_feed(bomb.encode(), location="f", now=NOW)


def test_html_page_names_its_feed_in_the_hint() -> None:
    page = b'<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml">'
    with pytest.raises(ParseError) as caught:
        parse_feed(page + b"</head><body>hi</body></html>", location="https://quay.example/blog/", now=NOW)
    assert "HTML page" in caught.value.message
    assert "https://quay.example/rss.xml" in caught.value.hint


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"just words, no markup", "not a feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "invalid JSON"),
        (b'{"hello": "world"}', "not a JSON Feed"),
        (b"[1, 2]", "not a JSON Feed"),
    ],
)
def test_not_a_feed_is_a_parse_error_naming_it(data: bytes, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_feed(data, location="https://quay.example/x", now=NOW)
    assert message in caught.value.message
    assert caught.value.source == "https://quay.example/x" and caught.value.hint


def test_json_feed_with_wrong_types_still_reads() -> None:
    doc = b"""{"version": "https://jsonfeed.org/version/1.1", "title": ["no"], "authors": "x",
    "items": [{"id": null, "title": 5, "url": {"a": 1}, "tags": "t", "content_text": "Body"}, 7, null]}"""
    [(article, dated)] = parse_feed(doc, location="f", now=NOW)
    assert article.title == "Body" and article.source == "f" and not dated


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=2000),
        st.builds(lambda b: b"<rss version='2.0'><channel>" + b, st.binary(max_size=500)),
        st.builds(lambda b: b'{"version": "https://jsonfeed.org/version/1", "items": ' + b, st.binary(max_size=300)),
        st.text(max_size=300).map(lambda t: f"<feed xmlns='http://www.w3.org/2005/Atom'><entry>{t}".encode()),
    )
)
def test_garbage_bytes_only_ever_raise_parse_error(data: bytes) -> None:
    try:
        found = parse_feed(data, location="garbage", now=NOW)
    except ParseError:
        return
    for article, _ in found:
        assert article.published.tzinfo is not None and article.id
