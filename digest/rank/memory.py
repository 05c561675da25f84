"""Story memory across issues: follow-ups of a story already sent are marked as updates.

Articles already delivered never come back (the dedupe stage drops them), so a story in this week's
digest holds only articles readers have not seen. What memory adds is recognition: when a story's
signature (its most frequent content words, L2-normalized) has a cosine similarity of at least
``rank.update_threshold`` with a story sent in the last ``rank.memory_days``, or shares an
article with it, the story is marked "Update" and keeps only its new articles. A story whose
articles were all sent before is left out. The signatures of the stories a digest delivered are
written to the state store with the rest of the run, after delivery.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from scipy.sparse import csr_matrix

from ..models import Digest, Story, StoryMemory
from ..tokens import content_words, is_unspaced

__all__ = ["memories", "recall", "signature", "similarity"]

_TERMS = 30
_TEXT_CHARS = 4000


def signature(story: Story) -> tuple[tuple[str, float], ...]:
    """The story's most frequent content words with L2-normalized weights, heaviest first."""
    titles = " ".join(a.title for a in story.articles)
    text = f"{titles} {titles} {titles} {story.lead.text[:_TEXT_CHARS]}"
    # Words of three letters or more (or Chinese and Japanese character pairs), without digits, minus the stop
    # words of the lead's language.
    counts = Counter(
        w
        for w in content_words(text, story.lead.language)
        if is_unspaced(w) or (len(w) > 2 and not any(map(str.isdigit, w)))
    )
    top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:_TERMS]
    norm = math.sqrt(sum(c * c for _, c in top)) or 1.0
    return tuple((word, round(c / norm, 6)) for word, c in top)


def similarity(a: Sequence[tuple[str, float]], b: Sequence[tuple[str, float]]) -> float:
    """Cosine similarity of two signatures."""
    weights = dict(a)
    return sum(w * weights.get(term, 0.0) for term, w in b)


def recall(stories: Iterable[Story], memory: Sequence[StoryMemory], *, threshold: float) -> tuple[Story, ...]:
    """Stories minus those already sent; follow-ups of sent stories marked as updates with only what is new."""
    stories = tuple(stories)
    if not memory:
        # A first issue: nothing was sent to recall, and the signatures of a week of 100,000 articles
        # would cost seconds.
        return stories
    sent = {article_id for m in memory for article_id in m.article_ids}
    best = _best_similarity([signature(s) for s in stories], [m.terms for m in memory])
    out = []
    for story, closest in zip(stories, best, strict=True):
        new = tuple(a for a in story.articles if a.id not in sent)
        if not new:
            continue
        if len(new) < len(story.articles) or closest >= threshold:
            lead = (
                story.lead if story.lead.id not in sent else min(new, key=lambda a: (-len(a.text), a.published, a.id))
            )
            story = replace(story, lead=lead, articles=(lead, *(a for a in new if a is not lead)), is_update=True)
        out.append(story)
    return tuple(out)


def _best_similarity(
    mine: Sequence[Sequence[tuple[str, float]]], theirs: Sequence[Sequence[tuple[str, float]]]
) -> list[float]:
    """For each of ``mine``, its highest cosine similarity to any of ``theirs`` (one sparse product)."""
    if not mine or not theirs:
        return [0.0] * len(mine)
    vocabulary: dict[str, int] = {}
    left, right = _matrix(mine, vocabulary), _matrix(theirs, vocabulary)
    width = len(vocabulary)
    left.resize((left.shape[0], width))
    right.resize((right.shape[0], width))
    products = (left @ right.T).toarray()
    return [float(v) for v in products.max(axis=1)]


def _matrix(signatures: Sequence[Sequence[tuple[str, float]]], vocabulary: dict[str, int]) -> Any:
    rows, cols, values = [], [], []
    for row, terms in enumerate(signatures):
        for term, weight in terms:
            rows.append(row)
            cols.append(vocabulary.setdefault(term, len(vocabulary)))
            values.append(weight)
    return csr_matrix((values, (rows, cols)), shape=(len(signatures), max(len(vocabulary), 1)))


def memories(digest: Digest, *, at: datetime) -> tuple[StoryMemory, ...]:
    """What to remember of each story ``digest`` delivers."""
    return tuple(
        StoryMemory(
            story_id=story.id,
            digest_id=digest.id,
            label=story.label,
            terms=signature(story),
            article_ids=tuple(a.id for a in story.articles),
            sent_at=at,
        )
        for story in digest.stories
    )
