"""The score of a story, kept in parts so a reader of the run report can see why it ranks where it does.

::

    score = articles + domains + weight + recency_weight * recency + keywords + pinned

    articles  the articles covering the story, copies ("also published by") included
    domains   the distinct web domains covering it (the source name when an article has no URL)
    weight    the highest ``rank.source_weights`` entry among its sources (by name or domain; 0 if none)
    recency   1 when its newest article is from the end of the window, falling linearly to 0 at its start
    keywords  the sum of ``rank.keyword_weights`` whose pattern occurs in the lead's title or text
              (negative weights are penalties)
    pinned    ``PINNED`` when a source in ``rank.pinned_sources`` covers it, else 0
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from urllib.parse import urlsplit

from ..config import RankConfig
from ..models import Story

__all__ = ["PINNED", "domains", "score"]

# Larger than any sum of the other parts, so pinned stories lead their section.
PINNED = 1000.0


def domains(story: Story) -> frozenset[str]:
    """The web domains (without ``www.``) covering the story; an article without a URL counts by source."""
    found = set()
    for article in story.articles:
        found.add(_domain(article.url) or article.source)
        found.update(_domain(link.url) or link.source for link in article.also_published_by)
    return frozenset(found)


def _domain(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def _pinned(story: Story, names: set[str], pinned: tuple[str, ...]) -> bool:
    """Whether a pinned source covers ``story``: one of its articles (by name, feed or folder) or a copy's outlet."""
    return bool(names & set(pinned)) or any(a.is_from(entry) for a in story.articles for entry in pinned)


def score(story: Story, *, config: RankConfig, start: datetime, end: datetime) -> Story:
    """``story`` with its score and the parts it is the sum of."""
    span = max((end - start).total_seconds(), 1.0)
    latest = max(a.published for a in story.articles)
    covered = domains(story)
    names = {a.source for a in story.articles} | {link.source for a in story.articles for link in a.also_published_by}
    weights = [w for key, w in config.source_weights.items() if key in names or key in covered]
    haystack = f"{story.lead.title}\n{story.lead.text}"
    keywords = sum(w for pattern, w in config.keyword_weights.items() if re.search(pattern, haystack, re.I))
    parts = (
        ("articles", float(len(story.articles) + sum(len(a.also_published_by) for a in story.articles))),
        ("domains", float(len(covered))),
        ("weight", max(weights, default=0.0)),
        ("recency", round(config.recency_weight * max(0.0, min(1.0, 1 - (end - latest).total_seconds() / span)), 4)),
        ("keywords", float(keywords)),
        ("pinned", PINNED if _pinned(story, names, config.pinned_sources) else 0.0),
    )
    return replace(story, score=round(sum(v for _, v in parts), 4), score_parts=parts)
