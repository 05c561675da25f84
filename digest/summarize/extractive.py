"""The default summarizer: graph centrality over every sentence of a story, with a lead prior.

Each sentence of each of the story's articles becomes a TF-IDF vector, its IDF taken over the
story's own sentences, so a word common to every sentence of the story weighs little. Centrality is continuous LexRank
(Erkan & Radev 2004): PageRank on the graph whose edge weights are the cosine similarities of
sentence pairs. It is computed with sparse products (``X (Xᵀ v)``), never the n×n matrix, so a
story of 500 articles costs seconds, not gigabytes. News puts the point first, so each sentence's
score mixes its centrality (scaled to a maximum of 1) with a prior for its position in its own
article::

    score = (1 - lead_weight) * centrality / max(centrality) + lead_weight / (1 + position)

Sentences are then picked best first, skipping any whose cosine similarity to one already picked
exceeds ``redundancy`` (the same wire sentence in two outlets is said once), until the length in
sentences or words is reached. The summary reads opening sentences first (by position in their
article, then the lead article before the others), and each sentence cites the article it came
from.

What a reader gets first must say what happened. Page furniture (calls to action, live-blog
stamps, captions: :mod:`.furniture`) is never a candidate, nor is an article's headline. When the
story has a news report, sentences of opinion columns, live blogs and video pages score
``commentary_weight`` times theirs and follow the report's. A sentence that opens by referring back
("But…", "He…") is never the first. A story whose articles have no text at all is summed up by the
headlines of other outlets that add to the lead's. Lengths are counted in words, and in scripts
written without spaces (Chinese, Japanese, Thai) in characters, two to a word.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import SummaryConfig
from ..models import Article, Story, SummarySentence
from ..tokens import content_words, is_unspaced, primary_language
from .furniture import NEWS, article_kind, is_dangling, is_furniture, is_stamped
from .label import has_title, headline
from .sentences import DEFAULT_LANGUAGE, split_sentences

# damping and min_words default to the [summary] table's, declared there.
_DEFAULTS = SummaryConfig()
_BULLET = re.compile(r"^(?:[-–—•*·▪]|\d{1,2}[.)])\s+")
_CLOSED = re.compile(r"[.!?…。！？][\"'”’)\]」』）]*$")
# A headline an aggregator or a feed cut short: "Lena Dunham makes naked ploy for laughs ...".
_TRUNCATED = re.compile(r"(?:\.\.\.|…)\W*$")
# Languages written without spaces between words whose characters tokens.py does not already mark.
_UNSPACED_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "km", "my"})
# Chinese and Japanese words average under two characters: two characters count as one word.
_CHARS_PER_WORD = 2
Closest = Callable[[int, list[int]], float]
"""``(i, others)`` → the highest cosine similarity of candidate ``i`` to any of ``others``."""

# Up to this many sentences the similarity matrix is built whole; above, sparse products are cheaper.
_DENSE_UP_TO = 300

__all__ = [
    "Candidate",
    "candidates",
    "lexrank",
    "sentence_scores",
    "summarize_stories",
    "summarize_story",
    "term_counts",
    "tfidf",
]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A sentence that may go into a summary, and where it came from."""

    text: str
    article_id: str
    article_index: int
    position: int
    # The article's language: its sentences are split, and its words counted, by that language's rules.
    language: str = ""
    # What kind of page it is from: "news", or "opinion", "live", "video" (see furniture.article_kind).
    kind: str = NEWS

    @property
    def words(self) -> int:
        return text_words(self.text, self.language)


def text_words(text: str, language: str = "") -> int:
    """The length of ``text`` in words; where words are not spaced, its characters, two to a word."""
    if primary_language(language) in _UNSPACED_LANGUAGES:
        return math.ceil(len("".join(text.split())) / _CHARS_PER_WORD)
    unspaced = sum(1 for c in text if is_unspaced(c))
    if not unspaced:
        return len(text.split())
    spaced = "".join(" " if is_unspaced(c) else c for c in text)
    return len(spaced.split()) + math.ceil(unspaced / _CHARS_PER_WORD)


def _same(a: str, b: str) -> bool:
    return a.casefold().rstrip(".!?… ") == b.casefold().rstrip(".!?… ")


def candidates(story: Story, *, min_words: int = _DEFAULTS.min_words) -> list[Candidate]:
    """Every sentence of the story's articles (lead first) that can stand alone in a summary.

    Titles (an untitled article's first sentence is its headline), sentences under ``min_words``
    words, page furniture and, when the story has real sentences at all, lines without closing
    punctuation (headings, captions, bylines) are left out; list bullets are stripped.
    """
    found: list[Candidate] = []
    for index, article in enumerate(story.articles):
        title = headline(article) if article.text else ""
        kind = article_kind(article)
        seen: set[str] = set()
        # A sentence other outlets repeat stays a candidate in each: the repeats make it central,
        # and redundancy removal keeps it from being said twice.
        # A live-blog entry ("13 min: …") is commentary on a moment, all of its sentences.
        text = "\n".join(line for line in article.text.splitlines() if not is_stamped(line))
        for position, sentence in enumerate(split_sentences(text, article.language or DEFAULT_LANGUAGE)):
            text = _BULLET.sub("", sentence)
            if _same(text, title) or text_words(text, article.language) < min_words or text in seen:
                continue
            seen.add(text)
            if not is_furniture(text):
                found.append(Candidate(text, article.id, index, position, article.language, kind))
    punctuated = [c for c in found if _CLOSED.search(c.text)]
    return punctuated or found


def lexrank(
    vectors: Any,
    *,
    damping: float = _DEFAULTS.damping,
    tol: float = 1e-8,
    max_iter: int = 200,
    dense_up_to: int = _DENSE_UP_TO,
) -> np.ndarray:
    """Stationary distribution of a random walk over cosine similarities of L2-normalized sparse rows."""
    n = int(vectors.shape[0])
    if n <= dense_up_to:
        dense = _dense_similarity(vectors)
        return _power_iteration(lambda v: dense @ v, n, damping=damping, tol=tol, max_iter=max_iter)
    transposed = vectors.T.tocsr()
    self_sim = np.asarray(vectors.multiply(vectors).sum(axis=1), dtype=float).ravel()
    return _power_iteration(
        lambda v: np.asarray(vectors @ (transposed @ v), dtype=float).ravel() - self_sim * v,
        n,
        damping=damping,
        tol=tol,
        max_iter=max_iter,
    )


def _dense_similarity(vectors: Any) -> np.ndarray:
    dense = np.asarray((vectors @ vectors.T).toarray(), dtype=float)
    np.fill_diagonal(dense, 0.0)
    return dense


def _power_iteration(
    similarity_times: Callable[[np.ndarray], np.ndarray],
    n: int,
    *,
    damping: float,
    tol: float = 1e-8,
    max_iter: int = 200,
) -> np.ndarray:
    degree = similarity_times(np.ones(n))
    dangling = degree <= 1e-12
    safe_degree = np.where(dangling, 1.0, degree)
    p: np.ndarray = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        spread = p / safe_degree
        spread[dangling] = 0.0
        walked = similarity_times(spread) + p[dangling].sum() / n
        updated: np.ndarray = (1 - damping) / n + damping * walked
        if np.abs(updated - p).sum() < tol:
            return updated
        p = updated
    return p


def term_counts(texts: Sequence[str], languages: Sequence[str] | None = None) -> Any:
    """Sparse counts of the non-stop words of each text (one row each), or ``None`` without any word.

    ``languages`` gives each text's language (its stop words; English where unknown).
    """
    from sklearn.feature_extraction.text import CountVectorizer  # here: rendering imports this package

    docs = list(zip(texts, languages or [""] * len(texts), strict=True))
    try:
        return CountVectorizer(analyzer=_analyze).fit_transform(docs).tocsr()
    except ValueError:  # only stop words or numbers
        return None


def _analyze(doc: tuple[str, str]) -> list[str]:
    text, language = doc
    return [w for w in content_words(text, language) if not w.isdigit()]


def tfidf(counts: Any) -> Any:
    """Row-normalized TF-IDF of ``counts`` with IDF over these rows only: scikit-learn's smooth, sublinear one.

    Counting words once for a whole week and weighting them per story keeps a word common to every
    sentence of one story light in that story, at a fraction of the cost of a vectorizer per story.
    """
    from sklearn.feature_extraction.text import TfidfTransformer

    return TfidfTransformer(sublinear_tf=True).fit_transform(counts).tocsr()


def sentence_scores(
    found: Sequence[Candidate], counts: Any, *, params: SummaryConfig
) -> tuple[np.ndarray, Closest | None]:
    """Each candidate's score, and its similarity lookup (``None`` when there is no vocabulary to compare)."""
    prior = np.array([1.0 / (1 + c.position) for c in found])
    if counts is None or counts.nnz == 0:  # nothing to compare: keep the articles' order
        return prior, None
    vectors = tfidf(counts)
    if len(found) <= _DENSE_UP_TO:
        dense = _dense_similarity(vectors)
        central = _power_iteration(lambda v: dense @ v, len(found), damping=params.damping)

        def closest(i: int, others: list[int]) -> float:
            return float(dense[i, others].max())

    else:
        central = lexrank(vectors, damping=params.damping, dense_up_to=0)

        def closest(i: int, others: list[int]) -> float:
            return float((vectors[others] @ vectors[i].T).max())

    central = central / central.max() if central.max() > 0 else central
    scores = (1 - params.lead_weight) * central + params.lead_weight * prior
    return scores * _kind_weights(found, params), closest


def _kind_weights(found: Sequence[Candidate], params: SummaryConfig) -> np.ndarray:
    """1 for each sentence, ``commentary_weight`` for those of opinion, live or video pages beside a report."""
    if all(c.kind == NEWS for c in found) or not any(c.kind == NEWS for c in found):
        return np.ones(len(found))
    return np.array([1.0 if c.kind == NEWS else params.commentary_weight for c in found])


def summarize_stories(stories: Sequence[Story], *, params: SummaryConfig) -> list[tuple[SummarySentence, ...]]:
    """Each story's summary: its best-scoring sentences within the length, minus near repeats."""
    found = [candidates(story, min_words=params.min_words) for story in stories]
    counts = term_counts([c.text for one in found for c in one], [c.language for one in found for c in one])
    summaries = []
    offset = 0
    for story, one in zip(stories, found, strict=True):
        block = counts[offset : offset + len(one)] if counts is not None else None
        offset += len(one)
        summaries.append(_pick(one, block, params) or _other_headlines(story, params))
    return summaries


def summarize_story(story: Story, *, params: SummaryConfig) -> tuple[SummarySentence, ...]:
    """One story's summary (see :func:`summarize_stories`)."""
    return summarize_stories([story], params=params)[0]


def _pick(found: Sequence[Candidate], counts: Any, params: SummaryConfig) -> tuple[SummarySentence, ...]:
    if all(is_dangling(c.text, c.language) for c in found):
        return ()  # nothing that reads on its own: no summary rather than one that opens mid-thought
    scores, closest = sentence_scores(found, counts, params=params)
    keys = np.array([[c.position for c in found], [c.article_index for c in found], -scores])
    order = [int(i) for i in np.lexsort(keys)]
    # The sentence the summary opens with is picked first: the best that says something on its own.
    news = any(c.kind == NEWS for c in found)
    openers = [i for i in order if not is_dangling(found[i].text, found[i].language)]
    opener = next((i for i in openers if found[i].kind == NEWS or not news), openers[0])
    picked: list[int] = [opener]
    words = found[opener].words
    for i in order:
        if i == opener:
            continue
        if params.words <= 0 and len(picked) >= params.sentences:
            break
        if params.words > 0 and words + found[i].words > params.words:
            continue  # a shorter sentence further down may still fit
        if closest is not None and closest(i, picked) > params.redundancy:
            continue
        picked.append(i)
        words += found[i].words
    picked.sort(key=lambda i: (found[i].kind != NEWS, found[i].position, found[i].article_index))
    if is_dangling(found[picked[0]].text, found[picked[0]].language):
        picked.remove(opener)
        picked.insert(0, opener)
    return tuple(SummarySentence(text=found[i].text, article_id=found[i].article_id) for i in picked)


def _other_headlines(story: Story, params: SummaryConfig) -> tuple[SummarySentence, ...]:
    """For a story without text: other outlets' headlines that add what other outlets say too.

    A headline qualifies when it shares a word with the lead's (it is about the same thing), adds
    words the summary has not said yet, and is whole (an aggregator's "…" cut says half of it). Each
    new word counts the other headlines that use it as well, so the summary adds what the coverage
    agrees on ("no regrets"), not a stray member's own topic; where no new word is shared, the
    headline adding most words comes first. Each cites its article.
    """
    lead_words = set(content_words(headline(story.lead), story.lead.language))
    said = set(lead_words)
    titled = [a for a in story.others if has_title(a) and not _TRUNCATED.search(a.title)]
    words = {a.id: set(content_words(headline(a), a.language)) for a in titled}
    usage = Counter(w for a in story.articles if has_title(a) for w in set(content_words(headline(a), a.language)))
    chosen: list[Article] = []
    for _ in range(params.sentences):
        best: Article | None = None
        best_score = (0, 0)
        for article in titled:
            if article in chosen or article.source == story.lead.source or not words[article.id] & lead_words:
                continue
            new = words[article.id] - said
            # What the others agree on first; with no such word, the headline that adds most.
            score = (sum(usage[w] - 1 for w in new), len(new))
            if score > best_score:
                best, best_score = article, score
        if best is None:
            break
        said |= words[best.id]
        chosen.append(best)
    return tuple(SummarySentence(_as_sentence(headline(article)), article.id) for article in chosen)


def _as_sentence(title: str) -> str:
    """A headline as a sentence of a summary: with a full stop where it has no closing mark."""
    return title if _CLOSED.search(title) else title + "."
