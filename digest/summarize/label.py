"""What a story is called: a short headline and a few keyphrases.

The headline is the lead article's title without the site name that feeds append to it
(" | Site Name", " - Site"). Keyphrases are the story's highest-weighted words and word pairs
by TF-IDF across the week's stories, so they say what sets this story apart from the others.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from ..models import Story, SummarySentence
from ..tokens import content_words, is_unspaced

__all__ = ["clean_title", "keyphrases", "story_label"]

_SITE_SUFFIX = re.compile(r"\s+[|–—:-]\s+[^|–—:-]{2,40}$")
# Words of at least two letters (digits allowed after the first letter): numbers are no keyphrase.
_LABEL_WORDS = 14
# A story's document for keyphrases: the titles of its first articles and the lead's opening.
_TITLES = 20
_TEXT_CHARS = 1500


def clean_title(title: str) -> str:
    """The title without a trailing site name after " | ", " – ", " — " or " - "."""
    title = " ".join(title.split())
    if re.search(r"\s[|–—-]\s", title):
        cleaned = _SITE_SUFFIX.sub("", title).strip()
        return cleaned or title
    return title


def story_label(story: Story, summary: Sequence[SummarySentence]) -> str:
    """The lead's cleaned title; without one, the opening words of the summary."""
    for article in story.articles:
        if article.title.strip():
            return clean_title(article.title)
    first = summary[0].text if summary else story.lead.text
    words = first.split()
    return " ".join(words[:_LABEL_WORDS]) + ("…" if len(words) > _LABEL_WORDS else "")


def keyphrases(stories: Sequence[Story], *, count: int) -> dict[str, tuple[str, ...]]:
    """Up to ``count`` keyphrases per story id, most characteristic first, no word repeated."""
    if count <= 0 or not stories:
        return {story.id: () for story in stories}
    docs = [_document(story) for story in stories]
    vectorizer = TfidfVectorizer(analyzer=_phrases, sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform(docs).tocsr()
    except ValueError:  # no story has a single word that is not a stop word
        return {story.id: () for story in stories}
    terms = vectorizer.get_feature_names_out()
    out: dict[str, tuple[str, ...]] = {}
    for row, story in enumerate(stories):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        indices, weights = matrix.indices[start:end], matrix.data[start:end]
        ranked = [str(terms[indices[i]]) for i in np.lexsort((indices, -weights))]
        out[story.id] = _distinct(ranked, count)
    return out


def _document(story: Story) -> tuple[str, str]:
    titles = " . ".join(a.title for a in story.articles[:_TITLES])
    return f"{titles} . {titles} . {story.lead.text[:_TEXT_CHARS]}", story.lead.language


def _phrases(doc: tuple[str, str]) -> list[str]:
    """Words (not stop words of the story's language, not numbers) and pairs of words next to each other."""
    text, language = doc
    found = [w for w in content_words(text, language) if not w[0].isdigit() and (len(w) > 1 or is_unspaced(w))]
    return found + [f"{a} {b}" for a, b in itertools.pairwise(found)]


def _distinct(ranked: Sequence[str], count: int) -> tuple[str, ...]:
    chosen: list[str] = []
    used: set[str] = set()
    for term in ranked:
        words = set(term.split())
        if words & used:
            continue
        chosen.append(term)
        used |= words
        if len(chosen) == count:
            break
    return tuple(chosen)
