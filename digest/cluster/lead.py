"""Stories from cluster labels, each led by the article a news editor would link to.

Lead policy, in order (the first difference decides):

1. **Pinned sources.** An article from a source listed in ``cluster.lead_sources`` leads, the
   earlier in that list the better.
2. **Originals over copies.** An article from a source listed in ``cluster.derivative_sources``
   (wire services re-run verbatim, aggregators), or whose text credits a wire service in its
   dateline ("(AP) —", "(Reuters) -"), leads only when nothing else covers the story.
3. **Central and complete.** The higher of ``centrality + completeness`` wins, each from 0 to 1:
   centrality is the article's mean similarity to the story's other articles (rescaled so the most
   central article of the story scores 1), completeness its length relative to ``full_length``
   words, capped at 1. Rounded to two decimals, so near ties fall through to:
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


def _is_derivative(article: Article, policy: LeadPolicy) -> bool:
    return article.source in policy.derivative_sources or bool(_WIRE_CREDIT.match(article.text))


def choose_lead(members: Sequence[Article], centrality: Sequence[float], policy: LeadPolicy) -> Article:
    """The lead of one story (see the module docstring)."""
    top = max(centrality) if len(centrality) else 0.0
    pinned = {name: rank for rank, name in reversed(list(enumerate(policy.lead_sources)))}

    def key(item: tuple[Article, float]) -> tuple[int, bool, float, float, str]:
        article, central = item
        words = len(article.text.split())
        quality = (central / top if top > 0 else 0.0) + min(1.0, words / max(policy.full_length, 1))
        rank = pinned.get(article.source, len(pinned))
        return (rank, _is_derivative(article, policy), -round(quality, 2), article.published.timestamp(), article.id)

    return min(zip(members, centrality, strict=True), key=key)[0]


def build_stories(
    articles: Sequence[Article],
    labels: Sequence[int] | np.ndarray,
    *,
    centrality: Sequence[float] | np.ndarray | None = None,
    policy: LeadPolicy | None = None,
) -> tuple[Story, ...]:
    """One :class:`Story` per label, the lead first, then the others from the earliest.

    ``centrality`` (one value per article, e.g. :attr:`StoryClusterer.centrality_`) feeds the lead
    choice; without it every article counts as equally central.
    """
    policy = policy or LeadPolicy()
    weights = np.ones(len(articles)) if centrality is None else np.asarray(centrality, dtype=np.float64)
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    stories = []
    for indices in groups.values():
        members = [articles[i] for i in indices]
        lead = choose_lead(members, [float(weights[i]) for i in indices], policy)
        rest = sorted((a for a in members if a is not lead), key=lambda a: (a.published, a.id))
        story_id = hashlib.sha256("\n".join(sorted(a.id for a in members)).encode()).hexdigest()[:16]
        stories.append(Story(id=story_id, label=lead.title, lead=lead, articles=(lead, *rest)))
    return tuple(stories)
