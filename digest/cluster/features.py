"""Turning articles into sparse vectors: words, and the names, numbers and dates that tell events apart.

Two articles about two different earthquakes share most of their words ("magnitude", "epicentre",
"rescue"); what separates them is who, where and when: the proper names, the figures and the dates
in the text. Those are kept as a second bag of *entity* tokens beside the ordinary words so the
clusterer can weight them separately.

The counts are kept raw (sublinear term frequency, no IDF yet) because IDF is computed twice: once
over the whole week, to find the broad topics, and once inside each topic, where the words every
article of the topic shares stop counting and the few that tell its events apart count most.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.sparse import csr_matrix, diags, hstack
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from ..models import Article
from ..textutil import html_to_text
from ..tokens import primary_language, stop_words

__all__ = [
    "Document",
    "Features",
    "article_document",
    "article_parts",
    "channel_scales",
    "combine",
    "distinct_words",
    "entity_tokens",
    "featurize",
    "lede_end",
    "length_boost",
    "local_similarity",
    "tfidf",
    "token_ids",
    "word_tokens",
]

# Fragments of web addresses pasted into article text carry no story meaning.
_NOISE = frozenset(["http", "https", "www", "com", "html", "htm", "php", "aspx", "org", "net", "co", "uk"])
_STOP = frozenset(ENGLISH_STOP_WORDS) | _NOISE
_WORD = re.compile(r"[^\W\d_][\w'’\-]*[^\W_]|[^\W\d_]|\d+(?:[.,]\d+)*", re.UNICODE)
# A capitalized word that follows a lower-case word, a comma or a figure on the same line does not
# open a sentence: it is a name. Runs of such words are one name. The entity patterns open with the
# character they match first and look behind only after it, so the regex engine skips straight to
# candidate characters instead of trying a lookbehind at every position of the text.
_NAME_RUN = re.compile(r"([A-Z](?<=[\w,;] [A-Z])[\w'’\-]*(?: (?:[A-Z][\w'’\-]*|of|de|van|von|al))*(?<![ \-]))")
_NUMBER = re.compile(r"\d(?<![\w.,]\d)\d*(?:[.,]\d+)*")
_MONTH_NAME = re.compile(
    r"(?:J(?<!\wJ)(?:an(?:uary)?|une?|uly?)|F(?<!\wF)eb(?:ruary)?|M(?<!\wM)(?:ar(?:ch)?|ay)"
    r"|A(?<!\wA)(?:pr(?:il)?|ug(?:ust)?)|S(?<!\wS)ept?(?:ember)?|O(?<!\wO)ct(?:ober)?"
    r"|N(?<!\wN)ov(?:ember)?|D(?<!\wD)ec(?:ember)?)\b\.?"
)
# A day of the month next to a month name, before ("11 March", "11th of March") or after ("March 11th",
# "Sept. 9"), and the year that may follow it ("March 11, 2014").
_DAY_BEFORE = re.compile(r"(?:^|(?<=\W))(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?$")
_DAY_AFTER = re.compile(r"\s*(\d{1,2})(?:st|nd|rd|th)?\b(?!\.?\d)")
_YEAR_AFTER = re.compile(r",?\s*(\d{4})\b(?![.,]?\d)")
# An article's text as pieces, each with the number of times it counts.
Document = tuple[tuple[str, int], ...]
_DENSE_ROWS = 64
_COLUMNS = 1 << 24


@dataclass(frozen=True, slots=True)
class Features:
    """Sublinear term counts (rows are articles) for words and for entity tokens."""

    words: csr_matrix
    entities: csr_matrix


def article_parts(article: Article, *, title_weight: int, summary_weight: int, lead_words: int = 0) -> Document:
    """The pieces of text the clusterer reads, each with how many times it counts: the title
    ``title_weight`` times, the feed summary, the lede twice, the rest of the body once.

    The lede (the body's first ``lead_words`` words) counts once more than the rest: news is written
    top down, the opening says who did what where and when, while later paragraphs recall the
    background, which is often the earlier event of the same kind that a different story is about.
    Each piece is tokenized once however many times it counts.
    """
    parts = [(article.title, title_weight)]
    if summary_weight and article.summary_html:
        summary = html_to_text(article.summary_html)
        # A feed summary is often the article's first paragraph: counting it twice adds nothing.
        if summary and summary not in article.text:
            parts.append((summary, summary_weight))
    if lead_words > 0:
        end = lede_end(article.text, lead_words)
        parts.extend([(article.text[:end], 2), (article.text[end:], 1)])
    else:
        parts.append((article.text, 1))
    return tuple((text, count) for text, count in parts if text and count > 0)


def article_document(article: Article, *, title_weight: int, summary_weight: int, lead_words: int = 0) -> str:
    """:func:`article_parts` as one text, each piece repeated as many times as it counts."""
    parts = article_parts(article, title_weight=title_weight, summary_weight=summary_weight, lead_words=lead_words)
    return "\n".join(text.strip() for text, count in parts for _ in range(count))


def lede_end(text: str, words: int) -> int:
    """Where the first ``words`` words of ``text`` end (its length when it is shorter)."""
    found = _words_pattern(words).match(text)
    return found.end() if found else 0


@lru_cache(maxsize=4)
def _words_pattern(words: int) -> re.Pattern[str]:
    return re.compile(rf"(?:\s*\S+){{1,{words}}}")


def word_tokens(text: str) -> list[str]:
    """Lower-cased words and numbers, stop words and single letters removed."""
    return [w for w in _raw_words(text) if _is_word(w)]


def _raw_words(text: str) -> list[str]:
    # A date is one entity token (see :func:`_dates`), not three words that any two pieces of the same
    # day share.
    return list(_WORD.findall(text.lower().replace("’", "'")))


def _dates(text: str) -> tuple[str, list[str]]:
    """``text`` with each date (a month name with its day, and the year after it) blanked out, and one
    token per date ("@mar11").

    Applied to headlines only. A week's round-ups, listings and live pages are headed by the day they
    cover ("Business news: as it happened - March 11, 2014", "TV talk shows: Wednesday, March 12"); as
    month, day and year in words and entities, those are most of the tokens such a headline has, and
    they join stories that share nothing else. In an article's body a date says when the event
    happened, and there month, day and year keep their full weight (they tell apart two events of
    the same kind, measured on ECB+).
    """
    pieces: list[str] = []
    tokens: list[str] = []
    done = 0
    for month in _MONTH_NAME.finditer(text):
        start, end = month.span()
        before = _DAY_BEFORE.search(text, max(done, start - 12), start)
        after = None if before else _DAY_AFTER.match(text, end)
        day = before or after
        if day is None:
            continue
        if before:
            start = before.start()
        else:
            end = day.end()
        year = _YEAR_AFTER.match(text, end)
        if year:
            end = year.end()
        tokens.append("@" + month.group()[:3].lower() + str(int(day.group(1))))
        pieces.extend([text[done:start], " "])
        done = end
    if not tokens:
        return text, tokens
    pieces.append(text[done:])
    return "".join(pieces), tokens


def _is_word(token: str) -> bool:
    return len(token) > 1 and token not in _STOP


def entity_tokens(text: str) -> list[str]:
    """Names, figures and dates: capitalized words that do not open a sentence, numbers, month names.

    A run of capitalized words ("Betty Ford Center") is kept whole as well as word by word, so a
    full name counts more than a shared first name. Regular expressions do the scanning so a long
    week stays fast.
    """
    out: list[str] = []
    for run in _NAME_RUN.findall(text):
        words = [w for w in run.lower().split() if w not in _STOP]
        out.extend("&" + w for w in words)
        if len(words) > 1:
            out.append("&" + " ".join(words))
    out.extend("#" + number.replace(",", "") for number in _NUMBER.findall(text))
    out.extend("@" + month[:3].lower() for month in _MONTH_NAME.findall(text))
    return out


def _counts(
    token_lists: Iterable[list[str]],
    keep: Callable[[str], bool] | None = None,
) -> csr_matrix:
    """Sublinear counts in a hashed feature space, so no vocabulary is fitted or kept between runs.

    Each distinct token is hashed once (crc32: the same column in every process) and judged by
    ``keep`` once; counting is done on arrays for the whole week at once.
    """
    vocabulary, numbers, lengths = token_ids(token_lists)
    n = len(lengths)
    column_of = np.array([zlib.crc32(t.encode("utf-8")) % _COLUMNS for t in vocabulary], dtype=np.int64)
    kept = np.array([keep is None or keep(t) for t in vocabulary], dtype=bool)
    rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
    wanted = kept[numbers] if len(numbers) else np.zeros(0, dtype=bool)
    cells, counts = np.unique(rows[wanted] * _COLUMNS + column_of[numbers[wanted]], return_counts=True)
    indptr = np.searchsorted(cells // _COLUMNS, np.arange(n + 1), side="left")
    return csr_matrix((1.0 + np.log(counts), cells % _COLUMNS, indptr), shape=(n, _COLUMNS))


class _Numbering(dict[str, int]):
    """Numbers tokens in order of first appearance; hits are plain dict lookups done in C."""

    def __missing__(self, token: str) -> int:
        self[token] = number = len(self)
        return number


def token_ids(token_lists: Iterable[list[str]]) -> tuple[list[str], np.ndarray, list[int]]:
    """The distinct tokens, the number of each token of each list among them, and the lists' lengths.

    Tokens are numbered through C-level ``map`` over a dict that numbers new ones itself, not a
    Python loop per token, and each list is dropped once numbered so the week's strings are never
    all held at once.
    """
    index = _Numbering()
    ids: list[int] = []
    lengths: list[int] = []
    for tokens in token_lists:
        ids.extend(map(index.__getitem__, tokens))
        lengths.append(len(tokens))
    return list(index), np.array(ids, dtype=np.int64), lengths


def featurize(documents: Sequence[Document], languages: Sequence[str] = (), titled: Sequence[bool] = ()) -> Features:
    """Word and entity counts for each document; ``languages`` (one tag per document, "" unknown) add
    that language's stop words to the English ones every document drops; ``titled`` (one flag per
    document) says its first piece is a headline."""
    tags = list(languages) or [""] * len(documents)
    heads = list(titled) or [False] * len(documents)
    return Features(
        words=_counts(
            (
                _own_words(_repeated(d, _raw_words, titled=head), tag)
                for d, tag, head in zip(documents, tags, heads, strict=True)
            ),
            keep=_is_word,
        ),
        entities=_counts(_repeated(d, entity_tokens, titled=head) for d, head in zip(documents, heads, strict=True)),
    )


def _own_words(tokens: list[str], language: str) -> list[str]:
    """``tokens`` without the stop words of ``language``: "und", "der", "não" tell no story apart. English
    and untagged text skip the pass, its stop words being the ones every document drops."""
    primary = primary_language(language)
    if primary in ("", "en"):
        return tokens
    stop = stop_words(primary)
    return [t for t in tokens if t not in stop] if stop else tokens


def _repeated(document: Document, tokens: Callable[[str], list[str]], *, titled: bool = False) -> list[str]:
    """The tokens of each piece of ``document``, repeated as many times as the piece counts.

    When ``titled``, the first piece is a headline, whose date is one token (see :func:`_dates`).
    """
    out: list[str] = []
    for index, (text, count) in enumerate(document):
        if titled and index == 0:
            text, dates = _dates(text)
            if tokens is entity_tokens:
                out.extend(dates * count)
        out.extend(tokens(text) * count)
    return out


def tfidf(counts: csr_matrix) -> csr_matrix:
    """L2-normalized TF-IDF of ``counts`` with IDF over exactly these rows (smoothed, as scikit-learn does).

    Only the columns these rows use are kept (renumbered in order), so a topic of ten articles costs
    ten articles' worth however large the hashed feature space is.
    """
    n = counts.shape[0]
    counts = counts.tocsr()
    columns, position = np.unique(counts.indices, return_inverse=True)
    df = np.bincount(position, minlength=len(columns))
    idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
    data = counts.data * idf[position]
    rows = np.repeat(np.arange(n), np.diff(counts.indptr))
    norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n))
    data /= np.where(norms > 0, norms, 1.0)[rows]
    return csr_matrix((data, position, counts.indptr), shape=(n, len(columns)))


def local_similarity(
    words: csr_matrix, entities: csr_matrix, *, entity_weight: float, full_entities: float = 0.0
) -> np.ndarray:
    """Dense cosine matrix of these rows under TF-IDF with IDF over exactly these rows.

    The same figure as ``combine(tfidf(words), tfidf(entities))`` multiplied by its transpose, computed
    with plain arrays for the small topics that make up most of a week, where sparse bookkeeping
    would cost more than the arithmetic.
    """
    word, entity = channel_scales(entities, entity_weight=entity_weight, full_entities=full_entities)
    return np.asarray(_gram(words) * np.outer(word, word) + _gram(entities) * np.outer(entity, entity))


def channel_scales(
    entities: csr_matrix, *, entity_weight: float, full_entities: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """How much each article's words and entities count: squares summing to 1, the entities' share
    ``entity_weight`` for an article naming at least ``full_entities`` different entities and less,
    in proportion, for one naming fewer.

    Whether two headlines share their one name says little; whether two articles share a dozen
    names, figures and dates says much. Without the proportion, a headline naming nothing could
    never score above ``1 - entity_weight``, however many words it shared.
    """
    named = np.diff(entities.tocsr().indptr).astype(np.float64)
    share = entity_weight * (np.minimum(1.0, named / full_entities) if full_entities > 0 else (named > 0))
    return np.sqrt(1.0 - share), np.sqrt(share)


def distinct_words(words: csr_matrix) -> np.ndarray:
    """How many different words each article has: how much text its similarities rest on."""
    return np.asarray(np.diff(words.tocsr().indptr), dtype=np.float64)


def length_boost(left: np.ndarray, right: np.ndarray, *, short_text: float) -> np.ndarray:
    """The factor a pair's cosine is multiplied by, given both sides' :func:`distinct_words`.

    Two texts of ``n`` and ``m`` distinct words that share ``k`` of them have a cosine of about
    ``k / sqrt(n·m)``: long texts are judged by the share of words they agree on, which is what the
    thresholds are set for. Two headlines of seven words that share two already say as much as they
    can, so below ``short_text`` words (geometric mean of the two sides) the cosine is scaled by
    ``short_text / sqrt(n·m)``: a short pair is judged by how many words it shares, as if the texts
    were ``short_text`` words long. 0 turns the scaling off.
    """
    size = np.sqrt(np.maximum(left, 1.0) * np.maximum(right, 1.0))
    if short_text <= 0:
        return np.ones_like(size)
    return np.asarray(np.maximum(1.0, short_text / size))


def _gram(counts: csr_matrix) -> np.ndarray:
    n = counts.shape[0]
    if n > _DENSE_ROWS:
        vectors = tfidf(counts)
        return np.asarray((vectors @ vectors.T).toarray(), dtype=np.float64)
    columns, position = np.unique(counts.indices, return_inverse=True)
    dense = np.zeros((n, len(columns)))
    dense[np.repeat(np.arange(n), np.diff(counts.indptr)), position] = counts.data
    dense *= np.log((1.0 + n) / (1.0 + np.count_nonzero(dense, axis=0))) + 1.0
    norms = np.linalg.norm(dense, axis=1)
    dense /= np.where(norms > 0, norms, 1.0)[:, None]
    return dense @ dense.T


def combine(words: csr_matrix, entities: csr_matrix, *, entity_weight: float, full_entities: float = 0.0) -> csr_matrix:
    """One row per article whose dot products are ``(1-w)·cos(words) + w·cos(entities)``, ``w`` smaller
    for articles that name few entities (see :func:`channel_scales`)."""
    word, entity = channel_scales(entities, entity_weight=entity_weight, full_entities=full_entities)
    return hstack([diags(word) @ words, diags(entity) @ entities], format="csr", dtype=np.float64)
