"""Rendering: the email HTML (inlined CSS, budget, preheader, dark mode), the written text part, escaping."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import html5lib
import pytest

from digest.config import EmailConfig
from digest.deliver import compose
from digest.models import Digest, Section
from digest.render import EMAIL_BUDGET, Rendering, environment, render, wire_size

from .digests import article, crowded_story, make_digest

SITE = "https://example.org/weekly/issues/2026-W02/"
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _render(digest: Digest, **kwargs: object) -> Rendering:
    return render(digest, env=environment(), now=digest.end, site_url=SITE, **kwargs)  # type: ignore[arg-type]


def _story_cells(email: str) -> list[tuple[str, str, str]]:
    """Each story of an email: its headline, its summary and its "Covered by" line, as a reader sees them."""
    cells = []
    for cell in html5lib.parse(email, namespaceHTMLElements=False).iter("td"):
        if (headline := cell.find("h3")) is None:
            continue
        paragraphs = {p.attrib.get("class", ""): "".join(p.itertext()) for p in cell.findall("p")}
        cells.append(("".join(headline.itertext()), paragraphs.get("", ""), paragraphs.get("also", "")))
    return cells


def _crowded_week() -> Digest:
    """A story 400 outlets covered, then 30 ordinary ones."""
    digest = make_digest(30)
    first = replace(digest.sections[0], stories=(crowded_story(400), *digest.sections[0].stories))
    return replace(digest, sections=(first, *digest.sections[1:]))


def _strict_parse(markup: str) -> None:
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(markup)


def test_email_css_is_inlined_and_only_media_rules_stay_in_a_style_block() -> None:
    email = _render(make_digest(4)).email_html
    _strict_parse(email)
    cells = re.findall(r'<td class="cell"[^>]*>', email)
    assert cells and all('style="' in cell and "padding" in cell for cell in cells)
    styles = re.findall(r"<style[^>]*>(.*?)</style>", email, re.S)
    assert len(styles) == 1
    assert re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", styles[0]).strip() == ""
    assert "prefers-color-scheme: dark" in styles[0]
    assert '<meta name="color-scheme" content="light dark">' in email
    assert 'role="presentation"' in email and 'width="100%"' in email


def test_email_has_a_hidden_preheader_with_the_top_headlines() -> None:
    digest = make_digest(5)
    email = _render(digest).email_html
    match = re.search(r'<div class="preheader" style="([^"]*)">([^<]*)</div>', email)
    assert match is not None
    assert "display: none" in match.group(1)
    assert match.group(2).startswith(" · ".join(s.label for s in digest.stories[:3]))


def test_email_over_budget_cuts_stories_from_the_tail_and_links_the_site() -> None:
    digest = make_digest(400)
    rendering = _render(digest)
    size = wire_size(rendering.email_html)
    assert 90_000 < size <= 100_000
    message = compose(
        config=EmailConfig(), digest_id=digest.id, title="t", text=rendering.text, html=rendering.email_html, now=NOW
    )
    html_part = message.get_body(("html",))
    assert html_part is not None
    payload = html_part.get_payload()
    assert len(payload) + payload.count("\n") == size  # the budget counts what travels, CRLF and all
    assert 0 < rendering.email_omitted < 400
    assert f"{rendering.email_omitted} more stories in this issue" in rendering.email_html
    assert f'<a href="{SITE}"' in rendering.email_html and "Read the rest on the site" in rendering.email_html
    kept = 400 - rendering.email_omitted
    shown = [s.label for s in digest.stories if f">{s.label}</a></h3>" in rendering.email_html]
    assert shown == [s.label for s in digest.stories[:kept]]
    # The web page and the text part keep every story.
    assert all(s.label in rendering.text for s in digest.stories)
    assert rendering.body_html.count('<article class="story"') == 400


def test_a_story_400_outlets_covered_leaves_room_for_every_story_with_its_summary() -> None:
    digest = _crowded_week()
    rendering = _render(digest)
    cells = _story_cells(rendering.email_html)
    assert wire_size(rendering.email_html) <= EMAIL_BUDGET
    assert len(cells) >= 20 and rendering.email_omitted == len(digest.stories) - len(cells)
    assert [headline for headline, _, _ in cells] == [s.label for s in digest.stories[: len(cells)]]
    for (_, summary, _), story in zip(cells, digest.stories, strict=False):
        assert summary and all(sentence.text in summary for sentence in story.summary)
    assert cells[0][2].startswith("Covered by 400 outlets:")
    assert "Nothing new this week." not in rendering.email_html


def test_over_budget_the_email_drops_link_lists_from_the_tail_before_any_story() -> None:
    digest = make_digest(12)
    whole = _render(digest)
    assert whole.email_omitted == 0
    budget = wire_size(whole.email_html) - 200
    tight = _render(digest, email_budget=budget)
    cells = _story_cells(tight.email_html)
    assert wire_size(tight.email_html) <= budget and tight.email_omitted == 0
    assert [headline for headline, _, _ in cells] == [s.label for s in digest.stories]
    assert all(summary for _, summary, _ in cells)
    # Every story keeps its count; the last ones lose the list under it, the first keeps it.
    assert cells[0][2] == "Covered by 3 outlets:Northwind: Headline w0s0c: the council approves a new line"
    assert cells[-1][2] == "Covered by 3 outlets."
    assert "Read the rest on the site" not in tight.email_html


def test_a_digest_no_email_can_hold_still_sends_its_first_story_not_an_empty_issue() -> None:
    digest = make_digest(3)
    alone = replace(digest, sections=(Section("One", "one", (crowded_story(400),)),))
    rendering = _render(alone, email_budget=1_000)
    ((headline, summary, also),) = _story_cells(rendering.email_html)
    assert headline == "The story 400 outlets covered" and summary and also == "Covered by 400 outlets."
    assert "Nothing new this week." not in rendering.email_html


def test_email_under_budget_is_whole_and_a_tiny_budget_still_sends_the_first_story() -> None:
    digest = make_digest(3)
    assert _render(digest).email_omitted == 0
    tiny = _render(digest, email_budget=10)
    assert tiny.email_omitted == 2 and "Read the rest on the site" in tiny.email_html
    assert _story_cells(tiny.email_html)[0][0] == digest.stories[0].label
    assert "Nothing new this week." not in tiny.email_html


def test_text_part_is_written_text_wrapped_for_mail() -> None:
    digest = make_digest(6)
    text = _render(digest, unsubscribe_url="https://example.org/u").text
    assert "<" not in text.replace("<https://", "")
    for line in text.splitlines():
        assert len(line) <= 72 or line.lstrip().startswith(("http", "Read more:", "[", "Read this issue"))
    assert all(story.label in text for story in digest.stories)
    assert "TECHNOLOGY" in text and "SOURCES" in text
    assert text.rstrip().endswith("Unsubscribe: https://example.org/u")
    email = _render(digest, unsubscribe_url="https://example.org/u").email_html
    assert '<a href="https://example.org/u"' in email and ">Unsubscribe</a>" in email
    assert ">Unsubscribe</a>" not in _render(digest).email_html


def test_rendering_is_deterministic_and_valid_html5() -> None:
    digest = make_digest(9)
    first, second = _render(digest), _render(digest)
    assert first == second
    _strict_parse(first.html)
    _strict_parse(first.email_html)


def test_one_link_per_cited_article_and_uncited_ones_listed() -> None:
    body = _render(make_digest(1)).body_html
    hrefs = re.findall(r'href="(https://news\.example/[^"]+)"', body)
    assert sorted(hrefs) == ["https://news.example/w0s0a", "https://news.example/w0s0b", "https://news.example/w0s0c"]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " jAvAsCrIpT:alert(1)",
        "java\tscript:alert(1)",
        "&#106;avascript:alert(1)",
        "data:text/html,x",
    ],
)
def test_hostile_article_fields_never_reach_the_markup(url: str) -> None:
    digest = make_digest(1)
    story = digest.stories[0]
    hostile = article(
        "evil", url=url, title='<script>alert("t")</script>', summary_html='<img src=x onerror="alert(1)"><b>ok</b>'
    )
    evil_story = replace(story, lead=hostile, articles=(hostile,), summary=(), label='<img src=x onerror="alert(2)">')
    digest = replace(digest, sections=(replace(digest.sections[0], stories=(evil_story,)),))
    rendering = _render(digest)
    for markup in (rendering.html, rendering.email_html, rendering.body_html):
        elements = list(html5lib.parse(markup, namespaceHTMLElements=False).iter())
        attributes = [(el.tag, name, value) for el in elements for name, value in el.attrib.items()]
        assert not [a for a in attributes if a[1].lower().startswith("on")]
        links = [value for tag, name, value in attributes if name in ("href", "src")]
        # A relative URL has no base once the article leaves its feed: dropped, like any unsafe scheme.
        assert [link for link in links if not link.startswith(("https://", "http://", "mailto:", "#"))] == []
        assert not [el for el in elements if el.tag == "script"]
        assert "<b>ok</b>" in markup  # harmless markup in the excerpt survives
        assert "&lt;img src=x onerror=" in markup  # the hostile headline is shown as text
    assert "javascript" not in rendering.text.lower() and "javascript" not in rendering.markdown.lower()


# Outlook for Windows ignores these; each only refines a layout that holds without it.
OUTLOOK_EXTRAS = {
    "max-height": "preheader; hidden there by mso-hide",
    "opacity": "preheader; hidden there by mso-hide",
    "overflow": "preheader; hidden there by mso-hide",
    "white-space": "keeps a citation on one line",
}


def test_email_css_is_what_gmail_and_outlook_render(shared: Path) -> None:
    support = shared / "bench" / "email" / "caniemail" / "features-latest-support.json"
    if not support.is_file():
        pytest.skip("no caniemail data under ../shared/bench/email")
    features = json.loads(support.read_text(encoding="utf-8"))
    email = _render(make_digest(5)).email_html
    styles = re.findall(r'style="([^"]*)"', email)
    properties = {part.split(":")[0].strip() for style in styles for part in style.split(";") if ":" in part}
    checked = 0
    for prop in sorted(properties):
        feature = features.get(f"css-{prop}")
        if feature is None:
            continue
        checked += 1
        latest = feature["latest"]
        for client in ("gmail.desktop-webmail", "gmail.android", "outlook.outlook-com", "apple-mail.ios"):
            assert latest[client][0] in "ya", (prop, client, latest[client])
        assert latest["outlook.windows"][0] in "ya" or prop in OUTLOOK_EXTRAS, (prop, latest["outlook.windows"])
    assert checked >= 10
