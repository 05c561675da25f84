"""Synthetic digests of any size for render, site and browser tests (and the benchmarks)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from digest.models import Article, Digest, Link, Section, Story, SummarySentence
from digest.render import Rendering, environment, render
from digest.store import IssueRecord

__all__ = ["SECTIONS", "WEEK0", "article", "crowded_story", "issue", "make_digest"]

WEEK0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SECTIONS = ("Technology", "Science", "Around town")


def article(key: str, *, source: str = "Harbor Tech", when: datetime = WEEK0, **fields: object) -> Article:
    defaults: dict[str, object] = {
        "title": f"Headline {key}: the council approves a new line",
        "url": f"https://news.example/{key}",
        "text": f"First sentence of {key}. Second sentence of {key}.",
    }
    return Article(id=key, source=source, published=when, **(defaults | fields))  # type: ignore[arg-type]


def make_digest(stories: int, *, week: int = 0, sections: tuple[str, ...] = SECTIONS) -> Digest:
    """``stories`` stories spread over ``sections``, each with a lead, one cited and one uncited other."""
    end = WEEK0 + timedelta(weeks=week)
    by_section: dict[str, list[Story]] = {name: [] for name in sections}
    for n in range(stories):
        key = f"w{week}s{n}"
        lead = article(f"{key}a", when=end - timedelta(hours=n % 100))
        cited = article(f"{key}b", source="City Ledger", when=end - timedelta(hours=1))
        other = article(f"{key}c", source="Northwind", when=end - timedelta(hours=2))
        summary = (
            SummarySentence(f"Story {n} of week {week} opened with a vote of seven to two.", lead.id),
            SummarySentence(f"Construction of project {n} is expected to start next spring.", cited.id),
        )
        name = sections[n % len(sections)]
        by_section[name].append(
            Story(id=key, label=f"Story {n} of week {week}", lead=lead, articles=(lead, cited, other), summary=summary)
        )
    built = tuple(
        Section(name=name, slug=name.lower().replace(" ", "-"), stories=tuple(items))
        for name, items in by_section.items()
        if items
    )
    return Digest(
        id=f"2026-W{week + 2:02d}", title="Loopback Weekly", start=end - timedelta(days=7), end=end, sections=built
    )


def crowded_story(outlets: int, *, key: str = "crowd") -> Story:
    """A story ``outlets`` outlets covered: half with articles of their own, the rest reprinting the lead; the
    first ten outlets wrote twice, and three articles are cited by the summary. Many more links than outlets."""
    own = outlets // 2
    lead = article(f"{key}0", source="Outlet 0", text="The lead article. " * 80)
    others = [article(f"{key}{n}", source=f"Outlet {n}", text="An article. " * (n % 7)) for n in range(1, own)]
    seconds = [article(f"{key}x{n}", source=f"Outlet {n}", title=f"Follow-up {n}") for n in range(1, 11)]
    reprints = tuple(
        Link(f"Outlet {n}", f"https://reprint.example/{key}/{n}", f"Reprint {n}", f"{key}r{n}")
        for n in range(own, outlets)
    )
    lead = replace(lead, also_published_by=reprints)
    summary = tuple(
        SummarySentence(f"Sentence {n} of the crowded story tells what happened.", a.id)
        for n, a in enumerate((lead, *others[:3]))
    )
    articles = (lead, *others, *seconds)
    return Story(id=key, label=f"The story {outlets} outlets covered", lead=lead, articles=articles, summary=summary)


def issue(digest: Digest, rendering: Rendering | None = None) -> IssueRecord:
    body = (rendering or render(digest, env=environment(), now=digest.end)).body_html
    return IssueRecord(digest.id, digest.title, digest.start, digest.end, body)
