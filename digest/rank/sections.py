"""Which section a story goes in: the first ``[[sections]]`` rule that matches its lead article.

A rule matches when any of its criteria does: the lead's source is in ``sources``; one of its
categories (the source's category from the config or the OPML outline, or the feed's own tags)
is in ``categories`` (case-insensitive); one of ``keywords`` occurs as a whole word in its title
or text; one of ``patterns`` (regular expressions) matches its title or text; its language
(``en``, ``en-GB`` …) starts with one of ``languages``. Stories no rule takes go to
``DEFAULT_SECTION``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..config import SectionRule
from ..models import Story

__all__ = ["DEFAULT_SECTION", "assign_section", "matches"]

DEFAULT_SECTION = "Top stories"


def matches(rule: SectionRule, story: Story) -> bool:
    """Whether ``rule`` takes ``story``."""
    lead = story.lead
    categories = {c.casefold() for c in lead.categories}
    if lead.source in rule.sources or categories & {c.casefold() for c in rule.categories}:
        return True
    haystack = f"{lead.title}\n{lead.text}"
    if any(re.search(rf"\b{re.escape(k)}\b", haystack, re.I) for k in rule.keywords):
        return True
    if any(re.search(p, haystack, re.I) for p in rule.patterns):
        return True
    language = lead.language.casefold()
    return any(language == lang.casefold() or language.startswith(f"{lang.casefold()}-") for lang in rule.languages)


def assign_section(story: Story, rules: Iterable[SectionRule], default: str = DEFAULT_SECTION) -> str:
    """The name of the first rule that matches ``story``, else ``default``."""
    return next((rule.name for rule in rules if matches(rule, story)), default)
