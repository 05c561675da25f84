"""Stage 6: put stories into sections and order them.

Score of a story (each part is kept so the report can explain it)::

    articles  = number of articles covering it
    sources   = number of distinct sources covering it
    weight    = the configured weight of the lead article's source (default 0)
    recency   = 1 for a story from the last day of the window, falling linearly to 0 at its start

Stories are ordered by score, then by the lead's publication time and id so ties are stable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from .config import RankConfig, SectionRule
from .models import Section, Story
from .textutil import slugify

__all__ = ["DEFAULT_SECTION", "assign_section", "rank", "score"]

DEFAULT_SECTION = "Top stories"


def score(story: Story, *, config: RankConfig, start: datetime, end: datetime) -> Story:
    span = max((end - start).total_seconds(), 1.0)
    latest = max(a.published for a in story.articles)
    parts = (
        ("articles", float(len(story.articles))),
        ("sources", float(len({a.source for a in story.articles}))),
        ("weight", config.source_weights.get(story.lead.source, 0.0)),
        ("recency", round(max(0.0, min(1.0, 1 - (end - latest).total_seconds() / span)), 4)),
    )
    return replace(story, score=round(sum(v for _, v in parts), 4), score_parts=parts)


def assign_section(story: Story, rules: Iterable[SectionRule]) -> str:
    """The first rule that matches the story's lead article, else the default section."""
    lead = story.lead
    haystack = f"{lead.title}\n{lead.text}"
    for rule in rules:
        if lead.source in rule.sources or set(rule.categories) & set(lead.categories):
            return rule.name
        if any(re.search(rf"\b{re.escape(k)}\b", haystack, re.I) for k in rule.keywords):
            return rule.name
    return DEFAULT_SECTION


def rank(
    stories: Iterable[Story], *, rules: tuple[SectionRule, ...], config: RankConfig, start: datetime, end: datetime
) -> tuple[Section, ...]:
    scored = [score(s, config=config, start=start, end=end) for s in stories]
    scored.sort(key=lambda s: (-s.score, -s.lead.published.timestamp(), s.id))
    order = [rule.name for rule in rules] + [DEFAULT_SECTION]
    by_section: dict[str, list[Story]] = {name: [] for name in order}
    total = 0
    for story in scored:
        name = assign_section(story, rules)
        if total >= config.max_stories or len(by_section[name]) >= config.max_per_section:
            continue
        by_section[name].append(replace(story, section=name))
        total += 1
    return tuple(
        Section(name=name, slug=slugify(name), stories=tuple(items)) for name, items in by_section.items() if items
    )
