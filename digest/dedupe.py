"""Stage 3: drop what readers already got and collapse copies of the same article.

Exact duplicates share a stable id (the same article in two feeds). Copies from one source are the
same title from the same source under links that name the same article once redirect wrappers and
campaign queries are set aside (:mod:`digest.copies`): they become one article carrying the others
in ``copies`` (:func:`collapse_copies`), and a group any of whose ids was delivered is dropped whole,
so no article reaches readers twice. Near-duplicates are wire copies
republished with small edits (a new headline, an extra paragraph, another byline): two articles are
copies when the Jaccard similarity of their sets of word 3-shingles reaches ``threshold``.

Comparing every pair would cost the square of the week, so candidates come from MinHash with
locality-sensitive hashing: each article gets ``num_perm`` MinHash values, cut into ``bands``
bands; articles that agree on a whole band are candidates, and only candidates get an exact
Jaccard. With 24 bands of 5 rows a pair at Jaccard 0.7 is a candidate with probability 0.99, at 0.5
with 0.53, at 0.1 with 0.0002: copies are not missed, and unrelated articles, which still share a
few stock phrases, so rarely meet that the candidates grow with the week, not with its square.
Within a band's bucket each article is checked against the bucket's first and its predecessor only,
which union-find makes enough: copies are grouped transitively. The earliest of a group is kept and
the others become its "also published by" links.

Why MinHash: on copies with a new headline, a byline and an added paragraph
(``benchmarks/dedupe_quality.py``), MinHash-LSH finds nearly all the copies that exact all-pairs
Jaccard finds, in linear time; SimHash, at any Hamming radius its bands can afford, misses most of
them, because such edits move too many of its 64 bits.
"""

from __future__ import annotations

import unicodedata
import zlib
from collections.abc import Iterable, Sequence, Set
from dataclasses import replace
from datetime import timedelta

import numpy as np

from . import tokens
from .config import DedupeConfig
from .copies import article_key, is_opaque, unwrap
from .models import Article, Link
from .textutil import canonical_url

__all__ = [
    "collapse_copies",
    "drop_seen",
    "minhash_signatures",
    "near_duplicate_groups",
    "near_duplicates",
    "shingles",
]

# num_perm and bands default to the [dedupe] table's, declared there.
_DEFAULTS = DedupeConfig()

# A short link says nothing of where it leads, so it joins an article of the same source and title only
# when published this close to it: the same post a year later ("GTAC Diversity Scholarship", 2016 and
# 2017, through feedproxy) or a daily series ("Morning briefing") stays apart.
_OPAQUE_WINDOW = timedelta(hours=12)
_SHINGLE = 3
_SIGNATURE_BLOCK = 1024


def drop_seen(articles: Iterable[Article], seen: Set[str]) -> tuple[Article, ...]:
    """Articles none of whose ids (copies included) were delivered, exact duplicates within the week merged.

    Of two articles with one id the earlier is kept, with the copies of both.
    """
    kept: dict[str, Article] = {}
    for article in articles:
        if any(i in seen for i in article.ids):
            continue
        other = kept.get(article.id)
        if other is None:
            kept[article.id] = article
            continue
        first, second = (article, other) if article.published < other.published else (other, article)
        kept[article.id] = _with_copies(first, second.copies)
    return tuple(kept.values())


def _with_copies(article: Article, copies: Iterable[Link]) -> Article:
    known = {article.id, *(c.article_id for c in article.copies)}
    new = []
    for link in copies:
        if link.article_id not in known:
            known.add(link.article_id)
            new.append(link)
    return replace(article, copies=article.copies + tuple(new)) if new else article


def _title_key(title: str) -> str:
    """A title as two copies of it compare: case, Unicode compatibility forms and spacing set aside."""
    return " ".join(unicodedata.normalize("NFKC", title).casefold().split())


def _is_direct(article: Article) -> bool:
    return bool(article.url) and not is_opaque(article.url) and unwrap(article.url) == canonical_url(article.url)


def collapse_copies(articles: Iterable[Article]) -> tuple[Article, ...]:
    """One article per group of copies from one source, the others in its ``copies``.

    Copies share a source and a title, and their links name the same article
    (:func:`~digest.copies.article_key`). A short link whose target is unknown joins the articles of
    that source and title only when they all name one article, published within 12 hours of it. The
    one kept links directly (no wrapper), then has no query, then has the most text, then is the
    earliest, then has the smallest id; its copies follow from the earliest. Order of the result:
    each group where its first article came.
    """
    items = list(articles)
    by_title: dict[tuple[str, str], list[int]] = {}
    for index, article in enumerate(items):
        title = _title_key(article.title)
        if title and article.title != "(untitled)":
            by_title.setdefault((article.source, title), []).append(index)
    group_of = list(range(len(items)))
    for indices in by_title.values():
        _group_same_article(items, indices, group_of)
    groups: dict[int, list[Article]] = {}
    for index, article in enumerate(items):
        groups.setdefault(group_of[index], []).append(article)
    return tuple(_one_article(members) for members in groups.values())


def _group_same_article(items: Sequence[Article], indices: Sequence[int], group_of: list[int]) -> None:
    """Point every article of one source and title to the first of those naming the same article."""
    if len(indices) < 2:
        return
    first: dict[str, int] = {}
    opaque = []
    for index in indices:
        if not items[index].url:
            continue
        key = article_key(items[index].url)
        if key:
            group_of[index] = first.setdefault(key, index)
        elif is_opaque(items[index].url):
            opaque.append(index)
    if len(first) == 1:
        anchor = next(iter(first.values()))
    elif not first and len(opaque) > 1:  # the same title through short links only
        anchor = opaque[0]
    else:
        return
    for index in opaque:
        if abs(items[index].published - items[anchor].published) <= _OPAQUE_WINDOW:
            group_of[index] = anchor


def _one_article(members: Sequence[Article]) -> Article:
    if len(members) == 1:
        return members[0]
    kept = min(members, key=lambda a: (not _is_direct(a), "?" in a.url, -len(a.text), a.published, a.id))
    rest = sorted((a for a in members if a is not kept), key=lambda a: (a.published, a.id))
    links = [Link(a.source, a.url, a.title, a.id) for a in rest]
    return _with_copies(kept, [c for a in [kept, *rest] for c in a.copies] + links)


def shingles(text: str, size: int = _SHINGLE) -> frozenset[str]:
    """The set of ``size``-word shingles of ``text`` (its words as :func:`digest.tokens.words` counts them)."""
    words = tokens.words(text)
    if len(words) < size:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


class _Numbering(dict[str, int]):
    """Numbers words in order of first appearance; hits are plain dict lookups done in C."""

    def __missing__(self, word: str) -> int:
        self[word] = number = len(self)
        return number


def _shingle_sets(texts: Sequence[str]) -> list[np.ndarray]:
    """Each text's set of word 3-shingles, as sorted 64-bit hashes.

    Words are hashed once each (crc32, the same in every process) and shingles are mixed from word
    hashes with array arithmetic over the whole week at once, so Python touches each word only to
    look it up. A text shorter than a shingle is the set of its words.
    """
    vocabulary = _Numbering()
    ids: list[int] = []
    lengths = np.zeros(len(texts), dtype=np.int64)
    for n, text in enumerate(texts):
        words = tokens.words(text)
        lengths[n] = len(words)
        ids.extend(map(vocabulary.__getitem__, words))
    crc = np.array([zlib.crc32(w.encode("utf-8")) for w in vocabulary], dtype=np.uint64)
    hashes = crc[np.array(ids, dtype=np.int64)]
    starts = np.concatenate([[0], np.cumsum(lengths)])
    with np.errstate(over="ignore"):
        mixed = hashes[: max(len(hashes) - _SHINGLE + 1, 0)].copy()
        for offset in range(1, _SHINGLE):
            mixed = mixed * np.uint64(0x9E3779B97F4A7C15) + hashes[offset : offset + len(mixed)]
    sets = []
    for n in range(len(texts)):
        start, end = int(starts[n]), int(starts[n + 1])
        if end - start >= _SHINGLE:
            sets.append(_distinct(mixed[start : end - _SHINGLE + 1]))
        else:
            sets.append(_distinct(hashes[start:end]))
    return sets


def _distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` by sorting, several times faster than NumPy's hash table on arrays this small."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def minhash_signatures(sets: Sequence[np.ndarray], *, num_perm: int, seed: int = 0) -> np.ndarray:
    """``len(sets) × num_perm`` MinHash values (multiply-shift hashing), one row per non-empty set."""
    sizes = np.array([len(s) for s in sets], dtype=np.int64)
    if not len(sets) or sizes.min() == 0:
        raise ValueError("every set must be non-empty")
    values = _mix(np.concatenate(sets).astype(np.uint64))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rng = np.random.default_rng(seed)
    multipliers = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) | np.uint64(1)
    offsets = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    out = np.empty((num_perm, len(sets)), dtype=np.uint32)
    bounds = np.append(starts, len(values))
    # A thousand sets at a time, in place: the working arrays stay in cache instead of the whole
    # week's values streaming through memory three times per permutation.
    with np.errstate(over="ignore"):
        for first in range(0, len(sets), _SIGNATURE_BLOCK):
            last = min(first + _SIGNATURE_BLOCK, len(sets))
            chunk, local = values[bounds[first] : bounds[last]], starts[first:last] - bounds[first]
            for k in range(num_perm):
                hashed = chunk * multipliers[k]
                hashed += offsets[k]
                hashed >>= np.uint64(32)
                out[k, first:last] = np.minimum.reduceat(hashed, local)
    return np.ascontiguousarray(out.T)


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: multiply-shift hashing is only min-wise fair on well-spread inputs."""
    with np.errstate(over="ignore"):
        values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return np.asarray(values ^ (values >> np.uint64(31)))


def near_duplicate_groups(
    texts: Sequence[str],
    *,
    threshold: float,
    num_perm: int = _DEFAULTS.num_perm,
    bands: int = _DEFAULTS.bands,
    seed: int = 0,
) -> list[list[int]]:
    """Groups (indices in ascending order) of texts whose shingle Jaccard reaches ``threshold``, transitively."""
    sets = _shingle_sets(texts)
    present = [i for i, s in enumerate(sets) if len(s)]
    parent = list(range(len(texts)))
    if len(present) > 1:
        signatures = minhash_signatures([sets[i] for i in present], num_perm=num_perm, seed=seed)
        for a, b in sorted(_lsh_candidates(signatures, bands)):
            i, j = present[a], present[b]
            if _jaccard(sets[i], sets[j]) >= threshold:
                _union(parent, i, j)
    groups: dict[int, list[int]] = {}
    for i in range(len(texts)):
        groups.setdefault(_find(parent, i), []).append(i)
    return sorted(groups.values())


def _lsh_candidates(signatures: np.ndarray, bands: int) -> set[tuple[int, int]]:
    """Pairs of rows equal on a whole band: each row with its bucket's first row and its predecessor."""
    rows = signatures.shape[1] // bands
    found = []
    index = np.arange(len(signatures), dtype=np.int64)
    with np.errstate(over="ignore"):
        for band in range(bands):
            key = np.zeros(len(signatures), dtype=np.uint64)
            for column in signatures[:, band * rows : (band + 1) * rows].T.astype(np.uint64):
                key = (key ^ column) * np.uint64(0x100000001B3)
            order = np.lexsort((index, key))
            same = key[order][1:] == key[order][:-1]
            run_start = np.maximum.accumulate(np.where(np.concatenate([[False], same]), 0, index))
            later = order[1:][same]
            found.append(np.stack([order[:-1][same], later], axis=1))
            found.append(np.stack([order[run_start[1:][same]], later], axis=1))
    if not found:
        return set()
    pairs = np.unique(np.sort(np.concatenate(found), axis=1), axis=0)
    return {(int(a), int(b)) for a, b in pairs if a != b}


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    common = len(np.intersect1d(a, b, assume_unique=True))
    return common / (len(a) + len(b) - common)


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _union(parent: list[int], i: int, j: int) -> None:
    ri, rj = _find(parent, i), _find(parent, j)
    if ri != rj:
        parent[max(ri, rj)] = min(ri, rj)


def near_duplicates(
    articles: Iterable[Article], *, threshold: float, num_perm: int = _DEFAULTS.num_perm, bands: int = _DEFAULTS.bands
) -> tuple[Article, ...]:
    """Collapse copies (shingle Jaccard at least ``threshold``) into their earliest article.

    The result is ordered by publication time, then id; each kept article lists its copies, the
    earliest first, in ``also_published_by``, each link with the ids of that copy's own ``copies``.
    A copy with the kept article's source and title is the same article under another link (one
    outlet filing it under two sections): it joins the kept article's ``copies`` instead.
    """
    ordered = sorted(articles, key=lambda a: (a.published, a.id))
    texts = [f"{a.title}\n{a.text}" for a in ordered]
    result = []
    for group in near_duplicate_groups(texts, threshold=threshold, num_perm=num_perm, bands=bands):
        kept, copies = ordered[group[0]], [ordered[i] for i in group[1:]]
        if not copies:
            result.append(kept)
            continue
        title = _title_key(kept.title)
        own = [c for c in copies if c.source == kept.source and _title_key(c.title) == title]
        others = [c for c in copies if not (c.source == kept.source and _title_key(c.title) == title)]
        links = tuple(Link(c.source, c.url, c.title, c.id, tuple(x.article_id for x in c.copies)) for c in others)
        merged = _with_copies(kept, [link for c in own for link in (Link(c.source, c.url, c.title, c.id), *c.copies)])
        result.append(replace(merged, also_published_by=merged.also_published_by + links) if links else merged)
    return tuple(result)
