"""Stage 4: group the week's articles into stories.

:class:`StoryClusterer` follows scikit-learn's estimator conventions: the constructor only stores
parameters, :meth:`~StoryClusterer.fit` validates its input and sets ``labels_``. Articles are
TF-IDF vectors of title (weighted up) and text; two articles are linked when their cosine
similarity reaches ``threshold`` and they were published within ``window_days`` of each other;
stories are the connected components of that graph.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Self

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.feature_extraction.text import TfidfVectorizer

from .models import Article, Story

__all__ = ["StoryClusterer", "build_stories"]


class StoryClusterer(ClusterMixin, BaseEstimator):  # type: ignore[misc]
    """Cluster articles into stories.

    Parameters
    ----------
    threshold:
        Cosine similarity at or above which two articles are linked.
    title_weight:
        How many times the title counts compared with the body text.
    window_days:
        Articles further apart than this are never linked.
    random_state:
        Accepted for API symmetry; the current method is deterministic.
    """

    def __init__(
        self, threshold: float = 0.3, title_weight: int = 2, window_days: float = 7.0, random_state: int | None = None
    ) -> None:
        self.threshold = threshold
        self.title_weight = title_weight
        self.window_days = window_days
        self.random_state = random_state

    def fit(self, articles: Sequence[Article], y: object = None) -> Self:
        n = len(articles)
        if n == 0:
            self.labels_ = np.zeros(0, dtype=np.int64)
            self.n_clusters_ = 0
            return self
        docs = [" ".join([a.title] * self.title_weight + [a.text]) for a in articles]
        try:
            vectors = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=1).fit_transform(docs)
        except ValueError:  # every document is empty or only stop words
            vectors = None
        rows, cols = [], []
        if vectors is not None:
            sims = (vectors @ vectors.T).tocoo()
            times = np.array([a.published.timestamp() for a in articles])
            window = self.window_days * 86400
            for i, j, s in zip(sims.row, sims.col, sims.data, strict=True):
                if i < j and s >= self.threshold and abs(times[i] - times[j]) <= window:
                    rows.append(i)
                    cols.append(j)
        graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        count, labels = connected_components(graph, directed=False)
        self.labels_ = _relabel_in_order(labels)
        self.n_clusters_ = int(count)
        return self


def _relabel_in_order(labels: np.ndarray) -> np.ndarray:
    """Number clusters by first appearance so labels do not depend on graph internals."""
    mapping: dict[int, int] = {}
    return np.array([mapping.setdefault(int(lab), len(mapping)) for lab in labels], dtype=np.int64)


def build_stories(articles: Sequence[Article], labels: Sequence[int] | np.ndarray) -> tuple[Story, ...]:
    """One :class:`Story` per cluster, led by its chosen lead article.

    Lead policy: the article with the most text (the most complete account), ties broken by the
    earliest publication, then by id so the choice is stable.
    """
    groups: dict[int, list[Article]] = {}
    for article, label in zip(articles, labels, strict=True):
        groups.setdefault(int(label), []).append(article)
    stories = []
    for members in groups.values():
        members.sort(key=lambda a: (a.published, a.id))
        lead = min(members, key=lambda a: (-len(a.text), a.published, a.id))
        ordered = (lead, *(a for a in members if a is not lead))
        story_id = hashlib.sha256("\n".join(sorted(a.id for a in members)).encode()).hexdigest()[:16]
        stories.append(Story(id=story_id, label=lead.title, lead=lead, articles=ordered))
    return tuple(stories)
