"""Stage 6: recognize updates, put stories into sections and order them.

:mod:`.memory` marks follow-ups of stories sent in earlier issues; :mod:`.sections` applies the
``[[sections]]`` rules; :mod:`.score` documents the score. Stories are ordered by score, then by
the lead's publication time (newest first) and id so ties are stable; ``rank.max_stories`` then
cuts the list, and ``rank.max_per_section`` each section a ``[[sections]]`` rule names, except for
pinned stories, which always stay. The default section and automatic topic sections are no section
an editor sized, so only ``max_stories`` limits them: without rules, the digest shows up to
``max_stories`` stories.
Sections appear in the order of their rules (automatic topic sections in the order of their best
story), the default section last.
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
from .sections import DEFAULT_SECTION, assign_section, matches, topic_sections

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
    "topic_sections",
]


def rank(
    stories: Iterable[Story],
    *,
    rules: tuple[SectionRule, ...],
    config: RankConfig,
    start: datetime,
    end: datetime,
    random_state: int = 0,
) -> tuple[Section, ...]:
    """The stories scored, sectioned, ordered and cut to the configured limits."""
    scored = [score(s, config=config, start=start, end=end) for s in stories]
    scored.sort(key=lambda s: (-s.score, -s.lead.published.timestamp(), s.id))
    topics = {}
    if not rules and config.auto_sections > 1:
        topics = topic_sections(scored, count=config.auto_sections, random_state=random_state)
    by_section: dict[str, list[Story]] = {rule.name: [] for rule in rules}
    capped = {rule.name for rule in rules}
    total = 0
    for story in scored:
        name = topics.get(story.id) or assign_section(story, rules)
        section = by_section.setdefault(name, [])
        pinned = dict(story.score_parts).get("pinned", 0.0) > 0
        full = name in capped and len(section) >= config.max_per_section
        if not pinned and (total >= config.max_stories or full):
            continue
        section.append(replace(story, section=name))
        total += 1
    by_section[DEFAULT_SECTION] = by_section.pop(DEFAULT_SECTION, [])  # the default section comes last
    return tuple(
        Section(name=name, slug=slugify(name), stories=tuple(items)) for name, items in by_section.items() if items
    )
