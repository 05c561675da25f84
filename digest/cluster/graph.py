"""Scaling: a sparse graph of likely pairs instead of an n×n similarity matrix.

Each article is indexed under its few heaviest terms; two articles become a candidate pair when
they share one of them. Only candidate pairs get an exact cosine, so the work grows with the number
of articles times the size of the largest posting list kept, not with the square of the week.
Connected components of the graph (edges at or above a similarity floor) are the blocks inside
which dense, exact clustering runs; a component larger than ``max_block`` is cut by single linkage
over its strongest edges, no piece growing past ``max_block``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform

__all__ = ["average_link", "blocks", "candidate_pairs", "pair_similarity", "time_penalty"]

_PAIR_CHUNK = 100_000
_EDGE_CHUNK = 50_000
_ROW_BLOCK = 1 << 18


def candidate_pairs(
    vectors: csr_matrix, times: np.ndarray, *, top_terms: int, neighbours: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``i < j`` likely to be similar, with an estimate of their similarity.

    Sorted-neighbourhood blocking: each article is indexed under its ``top_terms`` heaviest terms;
    within each term's list, ordered by publication time, an article is paired with the next
    ``neighbours`` articles. A name shared by a handful of articles pairs them all; a word shared by
    thousands pairs each article only with those published around it, so the work stays linear in
    the number of articles however common a term is, and a large story is still linked end to end.
    The estimate is the dot product of the rows cut to their ``2 * top_terms`` heaviest terms.
    """
    n = vectors.shape[0]
    keys, estimator = _heaviest(vectors, top_terms), _heaviest(vectors, 2 * top_terms)
    keys = keys.tocoo()
    order = np.lexsort((keys.row, times[keys.row], keys.col))
    term, doc = keys.col[order], keys.row[order].astype(np.int64)
    found = []
    for step in range(1, neighbours + 1):
        same = term[step:] == term[:-step]
        left, right = doc[:-step][same], doc[step:][same]
        found.append(np.minimum(left, right) * n + np.maximum(left, right))
    codes = _sorted_unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
    rows, cols = codes // n, codes % n
    distinct = rows != cols
    rows, cols = rows[distinct], cols[distinct]
    return rows, cols, pair_similarity(estimator, rows, cols)


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` by sorting: NumPy's hash-based unique takes tens of seconds on the millions
    of distinct pair codes of a large week, where one sort takes a fraction of a second."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    return np.asarray(ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])])


def _heaviest(vectors: csr_matrix, k: int) -> csr_matrix:
    """Each row cut to its ``k`` largest entries (ties to the lower column, so the cut is stable)."""
    counts = np.diff(vectors.indptr)
    row_of = np.repeat(np.arange(vectors.shape[0]), counts)
    if not len(row_of) or counts.max() <= k:
        return vectors
    keep = np.sort(np.concatenate([_top_positions(vectors, counts, block, k) for block in _row_blocks(counts)]))
    return csr_matrix((vectors.data[keep], (row_of[keep], vectors.indices[keep])), shape=vectors.shape)


def _row_blocks(counts: np.ndarray) -> list[np.ndarray]:
    """Consecutive rows in blocks of at most ``_ROW_BLOCK`` cells once padded to the block's longest row."""
    out, first = [], 0
    while first < len(counts):
        widest, last = int(counts[first]), first + 1
        while last < len(counts) and max(widest, int(counts[last])) * (last + 1 - first) <= _ROW_BLOCK:
            widest, last = max(widest, int(counts[last])), last + 1
        out.append(np.arange(first, last))
        first = last
    return out


def _top_positions(vectors: csr_matrix, counts: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """Positions in ``vectors.data`` of the ``k`` largest entries of each of ``rows`` (consecutive rows).

    The rows are padded into one dense block and sorted along its rows: one stable sort per block
    instead of a lexsort over the whole week, which dominated the candidate search on large weeks.
    """
    starts, sizes = vectors.indptr[rows], counts[rows]
    padded = np.full((len(rows), int(sizes.max())), np.inf)
    offset = starts[0]
    local = np.arange(vectors.indptr[rows[-1] + 1] - offset) - np.repeat(starts - offset, sizes)
    padded[np.repeat(np.arange(len(rows)), sizes), local] = -vectors.data[offset : offset + len(local)]
    top = np.argsort(padded, axis=1, kind="stable")[:, :k]
    valid = top < sizes[:, None]
    return np.asarray((top + starts[:, None])[valid])


def pair_similarity(vectors: csr_matrix | np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Exact cosine similarity (rows are L2-normalized, sparse or dense) of each pair, computed in chunks:
    gathering both sides of millions of candidate pairs at once would hold gigabytes."""
    out = np.zeros(len(rows), dtype=np.float64)
    for start in range(0, len(rows), _PAIR_CHUNK):
        end = start + _PAIR_CHUNK
        left, right = vectors[rows[start:end]], vectors[cols[start:end]]
        if isinstance(left, np.ndarray):
            out[start:end] = np.einsum("ij,ij->i", left, right)
        else:
            out[start:end] = np.asarray(left.multiply(right).sum(axis=1)).ravel()
    return out


def time_penalty(
    times: np.ndarray, rows: np.ndarray, cols: np.ndarray, *, window: float | np.ndarray, factor: float
) -> np.ndarray:
    """1 for pairs published within ``window`` seconds (one figure, or one per pair) of each other,
    ``factor`` beyond."""
    return np.where(np.abs(times[rows] - times[cols]) <= window, 1.0, factor)


def blocks(
    n: int, rows: np.ndarray, cols: np.ndarray, sims: np.ndarray, *, floor: float, max_block: int
) -> Iterator[np.ndarray]:
    """Connected components of the edges at or above ``floor``, none larger than ``max_block``."""
    keep = sims >= floor
    if n:
        yield from _split(np.arange(n), rows[keep], cols[keep], sims[keep], max_block)


def _split(
    nodes: np.ndarray, rows: np.ndarray, cols: np.ndarray, sims: np.ndarray, max_block: int
) -> Iterator[np.ndarray]:
    """Components of ``nodes`` (edges given in positions into ``nodes``); oversized ones are cut again."""
    size = len(nodes)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    # Edges grouped by component once, so cutting one component never scans the others' edges.
    edge_order = np.argsort(labels[rows], kind="stable")
    edge_labels = labels[rows][edge_order]
    position = np.empty(size, dtype=np.int64)
    for members in np.split(order, bounds):
        if len(members) <= max_block:
            yield nodes[members]
            continue
        label = labels[members[0]]
        start, end = np.searchsorted(edge_labels, [label, label + 1])
        edges = edge_order[start:end]
        position[members] = np.arange(len(members))
        yield from _capped(nodes[members], position[rows[edges]], position[cols[edges]], sims[edges], max_block)


def _capped(nodes: np.ndarray, rows: np.ndarray, cols: np.ndarray, sims: np.ndarray, cap: int) -> Iterator[np.ndarray]:
    """An oversized component cut into pieces of at most ``cap``: single linkage, strongest edges first,
    never merging two pieces whose sizes add up past ``cap``.

    Raising the floor until the component falls apart instead peels off, one by one, the articles
    whose edges are all of middling strength: a large story of short headlines lost most of its
    articles to pieces of one. Here every article stays with its strongest neighbour unless that
    neighbour's piece is full. Ties are taken in edge order, so the cut is deterministic.
    """
    parent = np.arange(len(nodes))
    sizes = [1] * len(nodes)
    order = np.argsort(-sims, kind="stable")
    left, right = rows[order], cols[order]
    for start in range(0, len(order), _EDGE_CHUNK):
        # Most edges of a large component join articles already in one piece: find every article's
        # piece at once and walk only the edges between two pieces, in order, one by one.
        roots = _roots(parent)
        a_side, b_side = roots[left[start : start + _EDGE_CHUNK]], roots[right[start : start + _EDGE_CHUNK]]
        crossing = np.flatnonzero(a_side != b_side)
        links = parent.tolist()
        for a, b in zip(a_side[crossing].tolist(), b_side[crossing].tolist(), strict=True):
            a, b = _root(links, a), _root(links, b)
            if a != b and sizes[a] + sizes[b] <= cap:
                if sizes[a] < sizes[b]:
                    a, b = b, a
                links[b] = a
                sizes[a] += sizes[b]
        parent = np.asarray(links)
    roots = _roots(parent)
    order = np.argsort(roots, kind="stable")
    yield from np.split(nodes[order], np.flatnonzero(np.diff(roots[order])) + 1)


def _root(links: list[int], i: int) -> int:
    while links[i] != i:
        links[i] = links[links[i]]
        i = links[i]
    return i


def _roots(parent: np.ndarray) -> np.ndarray:
    """Every node's root, by pointer jumping over the whole forest at once."""
    roots = parent.copy()
    while True:
        jumped = roots[roots]
        if np.array_equal(jumped, roots):
            return roots
        roots = jumped


def average_link(similarity: np.ndarray, threshold: float) -> np.ndarray:
    """Average-linkage clusters of a dense similarity matrix, cut where mean similarity drops below ``threshold``."""
    n = similarity.shape[0]
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    if n == 2:
        return np.array([0, 0 if (similarity[0, 1] + similarity[1, 0]) / 2 >= threshold else 1], dtype=np.int64)
    # A short pair's scaled similarity may exceed 1 (see features.length_boost). Rather than clip it,
    # shift every distance by the same amount: means shift with them, so the clusters are the same.
    top = max(1.0, float(similarity.max()))
    distance = top - similarity
    np.fill_diagonal(distance, 0.0)
    distance = (distance + distance.T) / 2.0
    tree = linkage(squareform(distance, checks=False), method="average")
    return np.asarray(fcluster(tree, t=top - threshold, criterion="distance"), dtype=np.int64) - 1
