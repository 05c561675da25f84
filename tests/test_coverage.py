"""A story's coverage in every rendering: "covered by N outlets", the best few other headlines, linked, grouped
by source; "N more from" its own source; and the same counts and credits in the Markdown, text, web page and email."""

from __future__ import annotations

import re
from dataclasses import replace

import html5lib
import markdown
import pytest

from digest.cluster import LeadPolicy
from digest.coverage import OTHER_LINKS, STORY_LINKS, coverage, telling
from digest.models import Article, Digest, Link, Section, Story, SummarySentence
from digest.render import Rendering, environment, render
from digest.textutil import safe_url

from .digests import WEEK0, article, crowded_story
from .test_markdown_safety import HOSTILE_TITLES, HOSTILE_URLS, PARSERS, _links

GUARDIAN = "The Guardian"


def _story(lead: Article, *others: Article, summary: tuple[SummarySentence, ...] = ()) -> Story:
    ids = "+".join(a.id for a in (lead, *others))
    return Story(id=ids, label=lead.title, lead=lead, articles=(lead, *others), summary=summary)


def _digest(*stories: Story) -> Digest:
    return Digest(id="2026-W02", title="Weekly", start=WEEK0, end=WEEK0, sections=(Section("News", "news", stories),))


def _render(*stories: Story) -> Rendering:
    return render(_digest(*stories), env=environment(), now=WEEK0, site_url="https://e.example/issue/")


def _own_only() -> Story:
    """A lead and nine more articles, all from the lead's own source."""
    lead = article("g0", source=GUARDIAN, title="Budget day: the chancellor's statement")
    more = [article(f"g{n}", source=GUARDIAN, title=f"Budget reaction {n}") for n in range(1, 10)]
    return _story(lead, *more)


def _mixed() -> Story:
    """The lead's source once more, two from BBC (one cited), Reuters with a wire reprint by the Daily."""
    lead = article("g0", source=GUARDIAN, title="Bridge reopens")
    reuters = replace(
        article("r1", source="Reuters", title="Bridge reopened to traffic"),
        also_published_by=(Link("The Daily", "https://daily.example/bridge", "Bridge open again", "d1"),),
    )
    others = (
        article("b1", source="BBC", title="Commuters return to the bridge"),
        article("g1", source=GUARDIAN, title="What the repairs cost"),
        reuters,
        article("b2", source="BBC", title="Six months of detours end"),
    )
    return _story(lead, *others, summary=(SummarySentence("The bridge reopened.", "b2"),))


def test_coverage_groups_by_source_the_leads_own_first_then_by_the_lead_policy() -> None:
    found = coverage(_mixed())
    # BBC, Reuters and the Daily are not named under the story yet, so each gets a link before a second from
    # the lead's own source; the Daily's reprint has no text of its own, so the policy puts it after Reuters.
    assert [(g.source, g.count, g.own) for g in found.sources] == [
        (GUARDIAN, 1, True),
        ("BBC", 2, False),
        ("Reuters", 1, False),
        ("The Daily", 1, False),
    ]
    assert [link.title for link in found.sources[1].links] == [
        "Commuters return to the bridge",
        "Six months of detours end",
    ]
    assert found.count == 5 and found.outlets == 4 and found.more_outlets == 0 and not found.only_own
    cited = coverage(_mixed(), ["b2"])
    assert [link.article_id for g in cited.sources for link in g.links] == ["g1", "r1", "d1", "b1"]
    assert cited.count == 4 and cited.outlets == 4


def test_all_from_the_leads_own_source_is_counted_once_and_capped() -> None:
    found = coverage(_own_only())
    assert found.only_own and found.count == 9
    (group,) = found.sources
    assert len(group.links) == 5 and group.hidden == 4
    assert len(coverage(_own_only(), links=20).sources[0].links) == 9


def test_copies_are_not_coverage() -> None:
    lead = replace(
        article("g0", source=GUARDIAN, title="Bridge reopens"),
        copies=(Link(GUARDIAN, "https://news.example/g0?CMP=share", "Bridge reopens", "g0-copy"),),
    )
    assert not coverage(_story(lead))
    rendering = _render(_story(lead))
    for text in (rendering.markdown, rendering.text, rendering.body_html, rendering.email_html):
        assert "Also covered" not in text and "more from" not in text and "CMP=share" not in text


def test_markdown_groups_headline_links_by_source() -> None:
    md = _render(_own_only(), _mixed()).markdown
    assert "9 more from The Guardian:\n\n- [Budget reaction 1](<https://news.example/g1>)\n" in md
    assert "- and 4 more\n" in md and "(The Guardian)" not in md
    guardian = "- **1 more from The Guardian:** [What the repairs cost](<https://news.example/g1>)\n"
    assert f"Covered by 4 outlets:\n\n{guardian}" in md
    # Six months of detours end is cited by the summary: linked in its footnote, not listed again.
    assert "- **BBC:** [Commuters return to the bridge](<https://news.example/b1>)\n" in md
    assert md.count("https://news.example/b2") == 1 and "Also covered" not in md
    assert "- **The Daily:** [Bridge open again](<https://daily.example/bridge>)\n" in md
    html = markdown.markdown(md, extensions=["footnotes"])
    assert "<strong>BBC:</strong>" in html


def test_text_groups_headlines_by_source_each_with_its_link() -> None:
    text = _render(_own_only(), _mixed()).text
    assert "9 more from The Guardian:\n  - Budget reaction 1\n    https://news.example/g1\n" in text
    assert "  - and 4 more\n" in text
    block = text[text.index("Covered by 4 outlets:") :]
    assert block.startswith(
        "Covered by 4 outlets:\n  1 more from The Guardian:\n  - What the repairs cost\n    https://news.example/g1\n"
        "  Reuters:\n  - Bridge reopened to traffic\n    https://news.example/r1\n"
        "  The Daily:\n  - Bridge open again\n    https://daily.example/bridge\n"
        "  BBC:\n  - Commuters return to the bridge\n    https://news.example/b1\n\n"
    )
    assert text.count("The Guardian") == 4  # two bylines and two "more from" lines


def _elements(markup: str, selector_class: str) -> list[object]:
    tree = html5lib.parse(markup, namespaceHTMLElements=False)
    return [el for el in tree.iter() if selector_class in el.attrib.get("class", "").split()]


def test_web_page_lists_each_source_with_its_headlines_uncited_only() -> None:
    body = _render(_own_only(), _mixed()).body_html
    tree = html5lib.parse(body, namespaceHTMLElements=False)
    stories = [el for el in tree.iter("article") if "story" in el.attrib.get("class", "")]
    own, mixed = (story.find(".//ul[@class='also-list']") for story in stories)
    assert [story.find(".//p[@class='also']").text for story in stories] == [
        "9 more from The Guardian:",
        "Covered by 4 outlets:",
    ]
    assert [li.find("a").text for li in own.findall("li")[:5]] == [f"Budget reaction {n}" for n in range(1, 6)]
    assert own.findall("li")[-1].text == "and 4 more"
    rows = [(li.find("span").text, [(a.text, a.attrib["href"]) for a in li.findall("a")]) for li in mixed.findall("li")]
    assert rows == [
        ("1 more from The Guardian:", [("What the repairs cost", "https://news.example/g1")]),
        ("Reuters:", [("Bridge reopened to traffic", "https://news.example/r1")]),
        ("The Daily:", [("Bridge open again", "https://daily.example/bridge")]),
        ("BBC:", [("Commuters return to the bridge", "https://news.example/b1")]),  # b2 is cited in the summary
    ]


def test_email_writes_one_line_per_source_with_tags_every_client_renders() -> None:
    email = _render(_own_only(), _mixed()).email_html
    tree = html5lib.parse(email, namespaceHTMLElements=False)
    own, mixed = [p for p in tree.iter("p") if p.attrib.get("class") == "also"]
    assert own.text == "9 more from The Guardian:"
    assert [a.text for a in own.findall("a")] == [f"Budget reaction {n}" for n in range(1, 6)]
    assert own.findall("br")[-1].tail == "and 4 more"
    assert mixed.text == "Covered by 4 outlets:"
    assert [s.text for s in mixed.findall("strong")] == ["1 more from The Guardian:", "Reuters:", "The Daily:", "BBC:"]
    assert [a.attrib["href"] for a in mixed.findall("a")] == [
        "https://news.example/g1",
        "https://news.example/r1",
        "https://daily.example/bridge",
        "https://news.example/b1",
    ]
    assert {child.tag for p in (own, mixed) for child in p.iter()} <= {"p", "a", "br", "strong"}
    assert all(a.attrib.get("style") for p in (own, mixed) for a in p.iter("a")), "link colours inlined"


def _hostile() -> Story:
    lead = article("lead", source="Harbor", title="A plain lead")
    others = [
        article(f"h{n}", source=HOSTILE_TITLES[(n + 3) % len(HOSTILE_TITLES)], title=title, url=url)
        for n, (title, url) in enumerate(zip(HOSTILE_TITLES, HOSTILE_URLS, strict=False))
    ]
    own = [article(f"o{n}", source="Harbor", title=title) for n, title in enumerate(HOSTILE_TITLES[:3])]
    return _story(lead, *others, *own)


def test_hostile_titles_and_sources_in_coverage_stay_text_in_html() -> None:
    rendering = _render(_hostile())
    for markup in (rendering.body_html, rendering.email_html, rendering.html):
        elements = list(html5lib.parse(markup, namespaceHTMLElements=False).iter())
        assert not [el for el in elements if el.tag in ("script", "img")]
        assert not [name for el in elements for name in el.attrib if name.lower().startswith("on")]
        hrefs = [el.attrib["href"] for el in elements if "href" in el.attrib]
        assert hrefs and all(h.startswith(("https://", "http://", "mailto:", "#")) for h in hrefs), hrefs
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup


@pytest.mark.parametrize("parser", PARSERS)
def test_hostile_titles_in_coverage_stay_inside_their_markdown_links(parser: str) -> None:
    links = _links(PARSERS[parser](_render(_hostile()).markdown))
    texts = {" ".join(t.split()) for t in HOSTILE_TITLES} | {"A plain lead"}
    assert links and all(link.href.startswith(("https://", "http://", "mailto:")) for link in links)
    assert all(" ".join(link.text.split()) in texts for link in links), [link.text for link in links]


def test_hostile_titles_in_coverage_write_no_line_of_their_own_in_text() -> None:
    text = _render(_hostile()).text
    lines = text.split("\n")
    assert text.splitlines() == lines[:-1]
    start = next(n for n, line in enumerate(lines) if line.startswith("Covered by "))
    block = lines[start + 1 : lines.index("", start)]
    # Every line is a source label, a "  - " headline or a link under one: none begins where a feed chose.
    assert block and all(re.match(r"  (- |  (https?|mailto):|\S)", line) for line in block), block
    assert not [line for line in lines if line.startswith(("Read more: https://evil", "Unsubscribe:", "[x]:"))]
    urls = [line.strip() for line in block if line.startswith("    ")]
    assert urls and all(u.startswith(("https://", "http://", "mailto:")) and " " not in u for u in urls), urls
    # One link line per headline written with a safe URL (a javascript: or relative one gets none).
    written = [link.url for group in coverage(_hostile()).sources for link in group.links]
    assert len(written) == OTHER_LINKS and len(urls) == sum(1 for url in written if safe_url(url)) > 0
    assert "  and 8 more" in block  # 14 outlets: the lead's, five written, eight counted


def _external_links(rendering: Rendering) -> dict[str, int]:
    """How many links a reader can click in each rendering of a one-story digest without a site link."""
    md = _links(PARSERS["python-markdown footnotes"](rendering.markdown))
    counts = {"markdown": len(md), "text": sum("https://" in line for line in rendering.text.splitlines())}
    for name, markup in (("web", rendering.body_html), ("email", rendering.email_html)):
        tree = html5lib.parse(markup, namespaceHTMLElements=False)
        counts[name] = sum(1 for a in tree.iter("a") if not a.attrib.get("href", "#").startswith("#"))
    return counts


def test_a_story_400_outlets_covered_is_counted_with_a_dozen_links_at_most_in_every_rendering() -> None:
    story = crowded_story(400)
    rendering = render(_digest(story), env=environment(), now=WEEK0)
    counts = _external_links(rendering)
    assert all(3 < n <= STORY_LINKS for n in counts.values()), counts
    texts = (rendering.markdown, rendering.text, _text(rendering.body_html), _text(rendering.email_html))
    assert all("Covered by 400 outlets:" in text for text in texts)
    found = telling(story).coverage
    # Five outlets written, one each; the lead's and the three credited are named; the rest counted.
    assert [len(g.links) for g in found.sources] == [1] * OTHER_LINKS
    assert found.more_outlets == 400 - OTHER_LINKS - 4
    assert all(f"and {found.more_outlets} more" in text for text in texts)


def test_no_summary_credits_more_links_than_a_story_may_carry() -> None:
    lead = article("lead", source="Outlet 0")
    others = [article(f"o{n}", source=f"Outlet {n}") for n in range(1, 30)]
    summary = tuple(SummarySentence(f"Sentence {n}.", a.id) for n, a in enumerate(others))
    told = telling(_story(lead, *others, summary=summary))
    assert told.links == STORY_LINKS and told.coverage.links == 0
    assert all(a.article for a in told.sentences), "a credit past the link budget is written as text"


def _text(markup: str) -> str:
    return " ".join("".join(html5lib.parse(markup, namespaceHTMLElements=False).itertext()).split())


def test_every_rendering_gives_the_same_counts() -> None:
    rendering = render(_digest(_own_only(), _mixed(), crowded_story(40)), env=environment(), now=WEEK0)
    counted = re.compile(r"Covered by \d+ outlets|\d+ more from [A-Z][a-z]+ \w+|and \d+ more")
    texts = {
        "markdown": rendering.markdown,
        "text": rendering.text,
        "web": _text(rendering.body_html),
        "email": _text(rendering.email_html),
    }
    found = {name: counted.findall(text) for name, text in texts.items()}
    assert found["markdown"][:3] == ["9 more from The Guardian", "and 4 more", "Covered by 4 outlets"]
    assert "Covered by 40 outlets" in found["markdown"]
    assert found["text"] == found["markdown"] and found["web"] == found["markdown"]
    assert found["email"] == found["markdown"]


def test_an_article_without_a_url_is_written_as_text_and_credited_in_every_rendering() -> None:
    lead = article("lead", source="Harbor", title="Garden notes")
    cited = article("s1", source="Saved articles", title="Planting garlic", url="")
    kept = article("s2", source="Saved articles", title="Pruning roses", url="")
    story = _story(lead, cited, kept, summary=(SummarySentence("Plant garlic before the frost.", "s1"),))
    rendering = _render(story)
    for markup in (rendering.body_html, rendering.email_html):
        tree = html5lib.parse(markup, namespaceHTMLElements=False)
        credit = [el for el in tree.iter() if "cite" in el.attrib.get("class", "").split()]
        assert [(el.tag, el.text) for el in credit] == [("span", "[Saved articles]")]
        (also,) = [el for el in tree.iter("p") if el.attrib.get("class") == "also"]
        listed = _text(markup)[_text(markup).index("Covered by 2 outlets:") :]
        assert "Pruning roses" in listed and "Planting garlic" not in listed and also.find(".//a") is None
        assert "Plant garlic before the frost. [Saved articles]" in _text(markup)
    assert "[^1]: Planting garlic, Saved articles\n" in rendering.markdown
    assert "- **Saved articles:** Pruning roses\n" in rendering.markdown
    assert "[1] Planting garlic, Saved articles\n" in rendering.text and "  - Pruning roses\n" in rendering.text


def test_the_other_links_follow_the_lead_policy() -> None:
    lead = article("lead", source="Harbor", text="The whole story. " * 100)
    others = [
        article("w1", source="Wire", text="The whole story. " * 100),
        article("p1", source="Pinned", text="Short."),
        *(article(f"o{n}", source=f"Outlet {n}", text="A story. " * (10 * n)) for n in range(1, 9)),
    ]
    policy = LeadPolicy(lead_sources=("Pinned",), derivative_sources=("Wire",))
    found = coverage(_story(lead, *others), policy=policy)
    # Pinned first, then the most complete, the wire copy never while originals are left.
    assert [g.source for g in found.sources] == ["Pinned", "Outlet 8", "Outlet 7", "Outlet 6", "Outlet 5"]
    assert found.outlets == 11 and found.more_outlets == 5
