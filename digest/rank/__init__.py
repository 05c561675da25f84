"""Stage 6: recognize updates, put stories into sections and order them.

:mod:`.memory` marks follow-ups of stories sent in earlier issues; :mod:`.sections` applies the
``[[sections]]`` rules; :mod:`.score` documents the score. Stories are ordered by score, then by
the lead's publication time (newest first) and id so ties are stable; ``rank.max_per_section``
and ``rank.max_stories`` then cut the list, except for pinned stories, which always stay.
Sections appear in the order of their rules, the default section last.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from ..config import RankConfig, SectionRule
from ..models import Section, Story
from ..textutil import slugify
from .memory import memories, recall, signature
from .score import PINNED, domains, score
from .sections import DEFAULT_SECTION, assign_section, matches

__all__ = [
    "DEFAULT_SECTION",
    "PINNED",
    "assign_section",
    "domains",
    "matches",
    "memories",
    "rank",
    "recall",
    "score",
    "signature",
]


def rank(
    stories: Iterable[Story], *, rules: tuple[SectionRule, ...], config: RankConfig, start: datetime, end: datetime
) -> tuple[Section, ...]:
    """The stories scored, sectioned, ordered and cut to the configured limits."""
    scored = [score(s, config=config, start=start, end=end) for s in stories]
    scored.sort(key=lambda s: (-s.score, -s.lead.published.timestamp(), s.id))
    order = [rule.name for rule in rules] + [DEFAULT_SECTION]
    by_section: dict[str, list[Story]] = {name: [] for name in order}
    total = 0
    for story in scored:
        name = assign_section(story, rules)
        pinned = dict(story.score_parts).get("pinned", 0.0) > 0
        if not pinned and (total >= config.max_stories or len(by_section[name]) >= config.max_per_section):
            continue
        by_section[name].append(replace(story, section=name))
        total += 1
    return tuple(
        Section(name=name, slug=slugify(name), stories=tuple(items)) for name, items in by_section.items() if items
    )
