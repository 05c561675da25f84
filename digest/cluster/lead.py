"""Stories from cluster labels, each led by the article a news editor would link to.

The lead is chosen from the story's core (:attr:`StoryClusterer.core_`: its medoid and the articles
close to it) when one is given: an article that joined on a name it shares with the others never
gives the story its headline. Among the core, the lead policy, in order (the first difference decides):

1. **Pinned sources.** An article from a source listed in ``cluster.lead_sources`` leads, the
   earlier in that list the better.
2. **Originals over copies.** An article from a source listed in ``cluster.derivative_sources``
   (wire services re-run verbatim, aggregators), or whose text credits a wire service in its
   dateline ("(AP) —", "(Reuters) -"), leads only when nothing else covers the story.
3. **Central and complete.** The higher of ``centrality + completeness`` wins, each from 0 to 1:
   centrality is the article's mean similarity to the story's other articles (rescaled so the most
   central article of the story scores 1), completeness its length relative to ``full_length``
   words, capped at 1. When no candidate has any text (a week of headlines), completeness is the
   title's length relative to ``full_title`` words instead: "Twitter back online after brief
   outage" tells more than "Twitter is down". Rounded to two decimals, so near ties fall through to:
4. **Earliest**, then by id, so the choice never depends on input order.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..models import Article, Story

__all__ = ["LeadPolicy", "build_stories", "choose_lead"]

# A wire credit at the head of the text: "LONDON (Reuters) -", "(AP) —", "PARIS, May 3 (AFP) -".
_WIRE_CREDIT = re.compile(r"^\W*[^\n]{0,80}?\((?:AP|Reuters|AFP|UPI|dpa|ANSA|EFE|Xinhua|PA)\)\s*[-—–:]", re.I)


@dataclass(frozen=True, slots=True)
class LeadPolicy:
    """The inputs of the lead choice that come from config."""

    lead_sources: tuple[str, ...] = ()
    derivative_sources: tuple[str, ...] = ()
    full_length: int = 600
    full_title: int = 8


def _is_derivative(article: Article, policy: LeadPolicy) -> bool:
    return any(article.is_from(e) for e in policy.derivative_sources) or bool(_WIRE_CREDIT.match(article.text))


def choose_lead(members: Sequence[Article], centrality: Sequence[float], policy: LeadPolicy) -> Article:
    """The lead of one story (see the module docstring)."""
    top = max(centrality) if len(centrality) else 0.0
    first = len(policy.lead_sources)

    def pinned(article: Article) -> int:
        return next((n for n, entry in enumerate(policy.lead_sources) if article.is_from(entry)), first)

    # Headlines and full texts are not measured on one scale: titles count only when no text is there.
    titles_only = not any(article.text.strip() for article in members)

    def completeness(article: Article) -> float:
        if titles_only:
            return min(1.0, len(article.title.split()) / max(policy.full_title, 1))
        return min(1.0, len(article.text.split()) / max(policy.full_length, 1))

    def key(item: tuple[Article, float]) -> tuple[int, bool, float, float, str]:
        article, central = item
        quality = (central / top if top > 0 else 0.0) + completeness(article)
        rank = pinned(article)
        return (rank, _is_derivative(article, policy), -round(quality, 2), article.published.timestamp(), article.id)

    return min(zip(members, centrality, strict=True), key=key)[0]


def build_stories(
    articles: Sequence[Article],
    labels: Sequence[int] | np.ndarray,
    *,
    centrality: Sequence[float] | np.ndarray | None = None,
    core: Sequence[bool] | np.ndarray | None = None,
    policy: LeadPolicy | None = None,
) -> tuple[Story, ...]:
    """One :class:`Story` per label, the lead first, then the rest of its core and then the others, each
    from the earliest: the summary and the headline's key phrases read the articles in this order.

    ``centrality`` (one value per article, e.g. :attr:`StoryClusterer.centrality_`) feeds the lead
    choice; without it every article counts as equally central. ``core`` (e.g.
    :attr:`StoryClusterer.core_`) says which articles may lead; without it, any.
    """
    policy = policy or LeadPolicy()
    weights = np.ones(len(articles)) if centrality is None else np.asarray(centrality, dtype=np.float64)
    may_lead = np.ones(len(articles), dtype=bool) if core is None else np.asarray(core, dtype=bool)
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    stories = []
    for indices in groups.values():
        members = [articles[i] for i in indices]
        # A story whose core is missing from the input (none marked) falls back to all its articles.
        candidates = [i for i in indices if may_lead[i]] or indices
        lead = choose_lead([articles[i] for i in candidates], [float(weights[i]) for i in candidates], policy)
        outside = {articles[i].id for i in indices if not may_lead[i]}
        rest = sorted((a for a in members if a is not lead), key=lambda a: (a.id in outside, a.published, a.id))
        story_id = hashlib.sha256("\n".join(sorted(a.id for a in members)).encode()).hexdigest()[:16]
        stories.append(Story(id=story_id, label=lead.title, lead=lead, articles=(lead, *rest)))
    return tuple(stories)
