"""The static site: rebuilt byte for byte from the store, valid HTML5, relative links, feeds, search, atomic."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urldefrag

import feedparser
import html5lib
import pytest

from digest.errors import RenderError
from digest.render import environment
from digest.site import build_site, outline
from digest.store import IssueRecord, open_store

from .digests import issue, make_digest

BASE = "https://user.example.io/digest/"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _issues(count: int, stories: int = 4) -> list[IssueRecord]:
    return [issue(make_digest(stories, week=w)) for w in reversed(range(count))]


def _build(target: Path, issues: list[IssueRecord], base_url: str = BASE, **kwargs: object) -> Path:
    return build_site(
        issues, target=target, env=environment(), site_title="Loopback Weekly", base_url=base_url, now=NOW, **kwargs
    )  # type: ignore[arg-type]


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_lost_site_is_rebuilt_byte_identical_from_the_store(tmp_path: Path) -> None:
    with open_store(tmp_path / "state.db") as store, store.transaction():
        for record in _issues(3):
            store.outbox.save_issue(record, state="sent", at=record.end)
    with open_store(tmp_path / "state.db") as store:
        first = _files(_build(tmp_path / "site", list(store.outbox.issues())))
    shutil.rmtree(tmp_path / "site")
    with open_store(tmp_path / "state.db") as store:
        second = _files(_build(tmp_path / "site", list(store.outbox.issues())))
    assert first == second
    assert "issues/2026-W04/index.html" in first and "index.html" in first
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site")]


def _with_a_picture(week: int) -> IssueRecord:
    """An issue whose first story shows its lead's article HTML, an image without alt text in it."""
    digest = make_digest(4, week=week)
    story = digest.stories[0]
    lead = replace(story.lead, summary_html='<p>Pier.</p><img src="https://img.example/pier.jpg" width="640">')
    shown = replace(story, lead=lead, articles=(lead, *story.others), summary=())
    section = replace(digest.sections[0], stories=(shown, *digest.sections[0].stories[1:]))
    return issue(replace(digest, sections=(section, *digest.sections[1:])))


def test_every_page_is_valid_html5_with_landmarks(tmp_path: Path) -> None:
    root = _build(tmp_path / "site", [_with_a_picture(3), *_issues(3)])
    pages = sorted(root.rglob("*.html"))
    assert len(pages) == 4 + 1 + 1 + 1  # issues, index, archive, search
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    images = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        tree = parser.parse(text)
        tags = {el.tag for el in tree.iter()}
        assert {"header", "nav", "main", "footer"} <= tags, page
        assert tree.find("head/title") is not None and tree.find("head/title").text, page  # type: ignore[union-attr]
        images.extend(tree.iter("img"))
    assert images and all(img.get("alt") is not None for img in images)


def test_relative_links_resolve_on_disk_and_absolute_ones_stay_under_the_sub_path(tmp_path: Path) -> None:
    root = _build(tmp_path / "site", _issues(5), per_page=2)
    for page in root.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for link in re.findall(r'(?:href|src)="([^"]+)"', text):
            if link.startswith("https://news.example/"):
                continue
            if link.startswith(("https://", "http://")):
                assert link.startswith(BASE), (page, link)
                continue
            path, fragment = urldefrag(link)
            target = (page.parent / path).resolve() if path else page
            assert target.is_file(), (page, link)
            if fragment:
                assert f'id="{fragment}"' in target.read_text(encoding="utf-8"), (page, link)
    index = (root / "index.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{BASE}issues/2026-W06/">' in index
    assert f'<meta property="og:url" content="{BASE}issues/2026-W06/">' in index
    assert '<link rel="alternate" type="application/atom+xml"' in index
    assert '<link rel="alternate" type="application/feed+json"' in index
    assert '<meta name="twitter:card" content="summary">' in index
    assert '<meta property="og:description" content="Story 0 of week 4' in index


def test_archive_is_paginated_and_lists_every_issue_once(tmp_path: Path) -> None:
    issues = _issues(5)
    root = _build(tmp_path / "site", issues, per_page=2)
    pages = [root / "archive/index.html", root / "archive/2/index.html", root / "archive/3/index.html"]
    assert not (root / "archive/4").exists()
    listed = [re.findall(r'href="[./]*issues/([^/]+)/index.html"', p.read_text(encoding="utf-8")) for p in pages]
    assert listed == [["2026-W06", "2026-W05"], ["2026-W04", "2026-W03"], ["2026-W02"]]
    assert 'rel="next"' in pages[0].read_text() and 'rel="prev"' not in pages[0].read_text()
    assert 'rel="prev"' in pages[2].read_text() and 'rel="next"' not in pages[2].read_text()
    middle = (root / "issues/2026-W04/index.html").read_text(encoding="utf-8")
    assert '<a href="../../issues/2026-W03/index.html" rel="prev">' in middle
    assert '<a href="../../issues/2026-W05/index.html" rel="next">' in middle
    newest = (root / "issues/2026-W06/index.html").read_text(encoding="utf-8")
    assert 'rel="next"' not in newest and 'rel="prev"' in newest


def test_feeds_carry_the_newest_issues_with_stable_ids(tmp_path: Path) -> None:
    root = _build(tmp_path / "site", _issues(4), feed_items=3)
    atom = feedparser.parse((root / "feed.xml").read_bytes())
    assert not atom.bozo, atom.get("bozo_exception")
    ids = [entry.id for entry in atom.entries]
    assert ids == [f"{BASE}issues/2026-W05/", f"{BASE}issues/2026-W04/", f"{BASE}issues/2026-W03/"]
    assert "Story 0 of week 3" in atom.entries[0].content[0].value
    feed = json.loads((root / "feed.json").read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == f"{BASE}feed.json"
    assert [item["id"] for item in feed["items"]] == ids
    sitemap = (root / "sitemap.xml").read_text(encoding="utf-8")
    assert sitemap.count("<loc>") == 1 + 1 + 4 and f"<loc>{BASE}issues/2026-W02/</loc>" in sitemap

    bare = _build(tmp_path / "bare", _issues(2), base_url="")
    assert not (bare / "sitemap.xml").exists()
    assert json.loads((bare / "feed.json").read_text())["items"][0]["id"] == "urn:digest:issue:2026-W03"


def test_search_index_has_every_headline_with_its_anchor(tmp_path: Path) -> None:
    issues = _issues(2, stories=5)
    root = _build(tmp_path / "site", issues)
    script = (root / "search/index.js").read_text(encoding="utf-8")
    entries = json.loads(script.removeprefix("window.DIGEST_SEARCH = ").rstrip().removesuffix(";"))
    assert len(entries) == 10
    url, headline, where = entries[0]
    assert url == "issues/2026-W03/index.html#technology-1" and headline == "Story 0 of week 1"
    assert where == "Loopback Weekly · 12 January 2026"
    assert outline(issues[0].body_html).sections[0] == ("technology", "Technology")


def test_a_failed_build_leaves_the_old_site_and_no_temporary_folder(tmp_path: Path) -> None:
    root = _build(tmp_path / "site", _issues(1))
    before = _files(root)
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "sitemap.xml.j2").write_text("{{ no_such_variable }}", encoding="utf-8")
    with pytest.raises(RenderError):
        build_site(
            _issues(2), target=root, env=environment(theme), site_title="Loopback Weekly", base_url=BASE, now=NOW
        )
    assert _files(root) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site-")] == []


def test_an_empty_store_gives_a_valid_site(tmp_path: Path) -> None:
    root = _build(tmp_path / "site", [])
    html5lib.HTMLParser(strict=True).parse((root / "index.html").read_text(encoding="utf-8"))
    assert "No issues yet" in (root / "index.html").read_text(encoding="utf-8")
    assert feedparser.parse((root / "feed.xml").read_bytes()).entries == []


def test_the_site_reads_each_issue_s_stored_outline_and_parses_only_older_issues(tmp_path: Path) -> None:
    new, old = _issues(2)  # newest first
    parsed = outline(new.body_html)
    assert parsed.sections and parsed.headlines
    stored = dataclasses.replace(new, sections=parsed.sections, headlines=(("technology-1", "Stored headline"),))
    with open_store(tmp_path / "state.db") as store, store.transaction():
        store.outbox.save_issue(old, state="sent", at=old.end)
        store.outbox.save_issue(stored, state="sent", at=stored.end)
    with open_store(tmp_path / "state.db") as store:
        issues = list(store.outbox.issues())
    assert [i.sections for i in issues] == [parsed.sections, None]
    root = _build(tmp_path / "site", issues)
    script = (root / "search/index.js").read_text(encoding="utf-8")
    headlines = [h for _, h, _ in json.loads(script.removeprefix("window.DIGEST_SEARCH = ").rstrip().rstrip(";"))]
    assert "Stored headline" in headlines  # the stored outline, not the HTML
    assert [h for _, h in outline(old.body_html).headlines] == headlines[1:]  # the older issue, parsed
