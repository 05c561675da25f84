"""What a reader's browser shows: structure, one link per cited article, no sideways scrolling, search from disk."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from digest.render import environment, render
from digest.site import build_site

from .browser import chromium, missing_reason
from .digests import issue, make_digest

pytestmark = [
    pytest.mark.skipif(bool(missing_reason()), reason=missing_reason() or "browser available"),
    pytest.mark.slow,
    pytest.mark.browser,
]

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    digests = [make_digest(9, week=w) for w in range(3)]
    rendering = render(digests[-1], env=environment(), now=NOW, site_url="https://example.org/w/")
    (root / "email.html").write_text(rendering.email_html, encoding="utf-8")
    records = [issue(d) for d in reversed(digests)]
    build_site(records, target=root / "site", env=environment(), site_title="Loopback", base_url="", now=NOW)
    return root


def _open(browser: Any, path: Path, width: int) -> Any:
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(path.as_uri())
    return page


@pytest.mark.parametrize("width", [375, 320])
@pytest.mark.parametrize("name", ["site/index.html", "site/archive/index.html", "site/search/index.html", "email.html"])
def test_no_sideways_scrolling_on_a_phone(browser: Any, built: Path, name: str, width: int) -> None:
    page = _open(browser, built / name, width)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.close()


def test_issue_page_structure_headings_and_one_link_per_cited_article(browser: Any, built: Path) -> None:
    digest = make_digest(9, week=2)
    page = _open(browser, built / "site/issues/2026-W04/index.html", 375)
    headings = page.eval_on_selector_all("main section > h2", "els => els.map(e => e.firstChild.textContent.trim())")
    assert headings == [section.name for section in digest.sections]
    per_section = page.eval_on_selector_all("main section", "els => els.map(e => e.querySelectorAll('h3').length)")
    assert per_section == [len(section.stories) for section in digest.sections]
    hrefs = page.eval_on_selector_all("main a[href^='https://news.example/']", "els => els.map(e => e.href)")
    cited = [a.url for story in digest.stories for a in story.articles if a.id in {s.article_id for s in story.summary}]
    assert sorted(h for h in hrefs if h in cited) == sorted(cited)  # each cited article linked exactly once
    assert page.evaluate("document.querySelector('a.skip').getAttribute('href')") == "#content"
    page.close()


def test_search_runs_from_disk(browser: Any, built: Path) -> None:
    page = _open(browser, built / "site/search/index.html", 375)
    page.fill("#q", "STORY 4 ")
    results = page.eval_on_selector_all("#search-results a", "els => els.map(e => [e.textContent, e.href])")
    assert [text for text, _ in results] == ["Story 4 of week 2", "Story 4 of week 1", "Story 4 of week 0"]
    assert page.text_content("#search-status") == "3 found"
    page.goto(results[1][1])
    assert page.evaluate("location.hash") == "#science-2"
    assert page.is_visible("#science-2")
    page.close()


def _luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(fg: str, bg: str) -> float:
    high, low = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# Each selector's text against the background of the nearest box that paints one.
COLOURS = """sel => [...document.querySelectorAll(sel)].slice(0, 3).map(el => {
  let box = el;
  while (box && getComputedStyle(box).backgroundColor.replace(/\\s/g, "") === "rgba(0,0,0,0)") box = box.parentElement;
  return [getComputedStyle(el).color, box ? getComputedStyle(box).backgroundColor : "rgb(255, 255, 255)"];
})"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(
    ("name", "selectors"),
    [
        ("site/issues/2026-W04/index.html", ["p.summary", "p.meta", "h3 a", "h2", "a.cite", ".site-nav a", "footer"]),
        ("email.html", ["td.cell p", "p.meta", "h3 a", "h2", "p.also", "td.foot a"]),
    ],
)
def test_text_contrast_meets_wcag_aa_in_light_and_dark(
    browser: Any, built: Path, name: str, selectors: list[str], scheme: str
) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800}, color_scheme=scheme)
    page = context.new_page()
    page.goto((built / name).as_uri())
    for selector in selectors:
        pairs = page.evaluate(COLOURS, selector)
        assert pairs, selector
        for fg, bg in pairs:
            assert _contrast(fg, bg) >= 4.5, (selector, fg, bg)
    context.close()
