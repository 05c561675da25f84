"""The editor's rules: ``[[filters]]`` drop articles (sponsored posts, job ads, a noisy source) by rule.

Rules apply in order; the first rule that matches an article decides: ``drop`` leaves it out of
the digest, ``keep`` lets it through whatever later rules say. An article no rule matches is kept.
Dropped articles are counted under the rule that dropped them and are never marked seen, so
changing a rule brings them back in a later run.
"""

from __future__ import annotations

import re
import typing
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .config import Action, FilterRule
from .models import Article

__all__ = ["ACTIONS", "Filtered", "apply_filters", "rule_matches", "rule_name"]

ACTIONS: tuple[Action, ...] = typing.get_args(Action)


@dataclass(frozen=True, slots=True)
class Filtered:
    """The articles kept, and how many each rule dropped (rule name → count, in rule order)."""

    kept: tuple[Article, ...]
    dropped: tuple[tuple[str, int], ...] = ()

    @property
    def dropped_count(self) -> int:
        return sum(n for _, n in self.dropped)


def rule_name(rule: FilterRule, index: int) -> str:
    return rule.name or f"filters[{index}]"


def rule_matches(rule: FilterRule, article: Article) -> bool:
    """Whether every criterion ``rule`` gives matches ``article`` (a rule with none matches nothing)."""
    checks = []
    if rule.sources:
        checks.append(article.source in rule.sources)
    if rule.categories:
        wanted = {c.casefold() for c in rule.categories}
        checks.append(bool(wanted & {c.casefold() for c in article.categories}))
    haystack = f"{article.title}\n{article.text}"
    if rule.keywords:
        checks.append(any(re.search(rf"\b{re.escape(k)}\b", haystack, re.I) for k in rule.keywords))
    if rule.patterns:
        checks.append(any(re.search(p, haystack, re.I) for p in rule.patterns))
    if rule.languages:
        language = article.language.casefold()
        checks.append(any(language == x.casefold() or language.startswith(f"{x.casefold()}-") for x in rule.languages))
    if rule.min_words > 0:
        checks.append(len(article.text.split()) < rule.min_words)
    return bool(checks) and all(checks)


def apply_filters(articles: Iterable[Article], rules: Sequence[FilterRule]) -> Filtered:
    """The articles no ``drop`` rule took, in their order, and the count each rule dropped."""
    kept: list[Article] = []
    counts: Counter[int] = Counter()
    for article in articles:
        decided = next((i for i, rule in enumerate(rules) if rule_matches(rule, article)), None)
        if decided is not None and rules[decided].action == "drop":
            counts[decided] += 1
        else:
            kept.append(article)
    dropped = tuple((rule_name(rules[i], i), counts[i]) for i in sorted(counts))
    return Filtered(tuple(kept), dropped)
