"""The lead-article policy and the stories built from cluster labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from digest.cluster import LeadPolicy, StoryClusterer, build_stories, choose_lead
from digest.models import Article

T0 = datetime(2026, 11, 18, 8, tzinfo=UTC)


def article(id: str, source: str, words: int, hours: int = 0, text: str = "") -> Article:
    body = text or " ".join(["word"] * words)
    return Article(
        id=id, title=id, url=f"https://x.example/{id}", source=source, published=T0 + timedelta(hours=hours), text=body
    )


def test_pinned_source_leads_even_when_shorter() -> None:
    members = [article("a", "Big Outlet", 900), article("b", "Home Paper", 100)]
    policy = LeadPolicy(lead_sources=("Home Paper",))
    assert choose_lead(members, [1.0, 0.2], policy).id == "b"


def test_pinned_order_decides_between_pinned_sources() -> None:
    members = [article("a", "Second", 500), article("b", "First", 500)]
    assert choose_lead(members, [1, 1], LeadPolicy(lead_sources=("First", "Second"))).id == "b"


def test_original_beats_wire_copy_and_aggregator() -> None:
    wire = article("w", "Daily", 0, hours=-5, text="LONDON (Reuters) - " + " ".join(["word"] * 800))
    aggregator = article("g", "News Roundup", 900, hours=-3)
    original = article("o", "Daily Herald", 300)
    policy = LeadPolicy(derivative_sources=("News Roundup",))
    assert choose_lead([wire, aggregator, original], [1.0, 1.0, 0.5], policy).id == "o"


def test_wire_copy_leads_when_nothing_else_covers_the_story() -> None:
    wire = article("w", "Daily", 0, text="(AP) — " + " ".join(["word"] * 50))
    assert choose_lead([wire], [0.0], LeadPolicy()).id == "w"


def test_most_central_and_complete_wins_then_earliest() -> None:
    short_late = article("s", "A", 100, hours=2)
    full = article("f", "B", 700, hours=5)
    assert choose_lead([short_late, full], [0.5, 0.5], LeadPolicy()).id == "f"
    twin_early, twin_late = article("e", "C", 600, hours=1), article("l", "D", 600, hours=3)
    assert choose_lead([twin_late, twin_early], [0.4, 0.4], LeadPolicy()).id == "e"
    central, peripheral = article("c", "E", 600), article("p", "F", 600, hours=-1)
    assert choose_lead([peripheral, central], [0.1, 0.5], LeadPolicy()).id == "c"


def test_in_a_week_of_headlines_the_fuller_headline_leads() -> None:
    def headline(id: str, title: str) -> Article:
        return Article(id=id, title=title, url=f"https://x.example/{id}", source=id, published=T0)

    short = headline("a", "Twitter is down")
    full = headline("b", "Twitter back online after a brief outage")
    # The short one is a little more central, and would lead if titles did not count.
    assert choose_lead([short, full], [1.0, 0.9], LeadPolicy()).id == "b"
    # Beside an article with text, titles do not count: text length decides completeness.
    body = article("c", "Daily", 300)
    assert choose_lead([short, full, body], [1.0, 0.9, 0.9], LeadPolicy()).id == "c"


def test_build_stories_puts_lead_first_and_others_by_time() -> None:
    a, b, c = article("a", "A", 100, hours=3), article("b", "B", 800, hours=2), article("c", "C", 100, hours=1)
    (story,) = build_stories([a, b, c], [0, 0, 0])
    assert story.lead.id == "b"
    assert [x.id for x in story.articles] == ["b", "c", "a"]
    assert [x.id for x in story.others] == ["c", "a"]


def test_story_ids_do_not_depend_on_order() -> None:
    a, b = article("a", "A", 100), article("b", "B", 200)
    assert build_stories([a, b], [0, 0])[0].id == build_stories([b, a], [3, 3])[0].id


def test_stories_from_a_fitted_clusterer() -> None:
    from .labelled_week import labelled_week

    articles, gold = labelled_week()
    fitted = StoryClusterer().fit(articles)
    stories = build_stories(articles, fitted.labels_, centrality=fitted.centrality_)
    assert len(stories) == len(set(gold))
    quake = next(s for s in stories if "Valparaíso" in s.lead.text)
    assert len(quake.articles) == 3 and len({a.source for a in quake.articles}) == 3
