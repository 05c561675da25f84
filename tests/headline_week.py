"""A week of bare headlines written for the tests: several outlets, each in its own few words.

Two of the stories share a frequent name and nothing else (the mayor questioned by police, the
mayor opening a stadium), and the city's name recurs in a third (the bridge): an editor keeps all
three apart. :func:`mixed_week` adds these headlines, blurbs and the full articles of
:mod:`.labelled_week` into one week, the way a subscriber's feeds mix them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from digest.models import Article

from .labelled_week import labelled_week

_HEADLINES = [
    # story, source, day, hour, title
    ("bridge", "Harbour Times", 17, 7, "Bridge over the Tern collapses in Marlow, three missing"),
    ("bridge", "Daily Courier", 17, 9, "Marlow bridge collapse: divers search river for three people"),
    ("bridge", "North Star", 17, 11, "Three missing after Tern bridge gives way at rush hour"),
    ("bridge", "Evening Post", 18, 8, "Engineers flagged cracks in collapsed bridge months ago"),
    ("rates", "Market Wire", 18, 12, "Central bank raises interest rate to 4.5%"),
    ("rates", "Daily Courier", 18, 13, "Rates climb to 4.5% as central bank fights inflation"),
    ("rates", "Money Weekly", 18, 15, "Bank lifts interest rate a quarter point, borrowing costs rise"),
    ("rates", "Harbour Times", 19, 7, "Mortgage payments to rise after interest rate increase"),
    ("probe", "Evening Post", 19, 10, "Mayor Okafor questioned by police over council contracts"),
    ("probe", "North Star", 19, 12, "Okafor denies wrongdoing as contracts inquiry widens"),
    ("probe", "Daily Courier", 20, 8, "Police interview mayor in council contracts probe"),
    ("stadium", "Sports Desk", 21, 14, "Okafor opens new 40,000-seat stadium"),
    ("stadium", "Harbour Times", 21, 16, "New stadium opens its gates to 40,000 fans"),
    ("stadium", "North Star", 21, 18, "Crowds pack new stadium on its opening night"),
    ("final", "Sports Desk", 22, 21, "Rovers win cup final on penalties"),
    ("final", "Daily Courier", 22, 22, "Penalty shootout hands Rovers the cup"),
    ("final", "Evening Post", 23, 7, "Cup glory for Rovers after 2-2 draw and penalties"),
    ("phone", "Gadget Review", 20, 17, "Orbit unveils its thinnest phone yet"),
    ("phone", "Tech Daily", 20, 18, "Orbit's new phone is 5mm thin and costs $899"),
    ("phone", "Market Wire", 20, 19, "Orbit shares rise after thin phone launch"),
]

# Blurbs (feed summaries) for some of the headlines: a sentence or two, as most feeds carry.
_BLURBS = {
    1: "<p>Divers searched the Tern through the night after the Marlow bridge fell during the morning rush.</p>",
    5: "<p>The central bank lifted its main rate to 4.5%, the fourth rise this year, citing stubborn inflation.</p>",
    12: "<p>The city's new stadium opened with a sell-out crowd of 40,000 and a concert.</p>",
    15: "<p>Rovers held their nerve in the shootout after a 2-2 draw to lift the cup.</p>",
}


def headline_week() -> tuple[list[Article], list[str]]:
    """Headline-only articles and the story each belongs to."""
    articles = [
        Article(
            id=f"h{i}",
            title=title,
            url=f"https://news.example/{i}",
            source=source,
            published=datetime(2026, 11, day, hour, tzinfo=UTC),
        )
        for i, (_, source, day, hour, title) in enumerate(_HEADLINES)
    ]
    return articles, [row[0] for row in _HEADLINES]


def blurb_week() -> tuple[list[Article], list[str]]:
    """The headline week with a feed summary on some of its items."""
    articles, gold = headline_week()
    from dataclasses import replace

    return [replace(a, summary_html=_BLURBS.get(i, "")) for i, a in enumerate(articles)], gold


def mixed_week() -> tuple[list[Article], list[str]]:
    """Headlines, blurbs and full articles of distinct stories in one week."""
    blurbs, gold = blurb_week()
    full, full_gold = labelled_week()
    return [*blurbs, *full], [*gold, *full_gold]
