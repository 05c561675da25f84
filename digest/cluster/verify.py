"""Checking that each story is about one event, and splitting off what is not.

Average linkage joins two groups when their *mean* similarity reaches the threshold. Two cohesive
stories that share a frequent name or a company ("Okafor" in a police probe and a stadium opening;
"files for bankruptcy" in a pizza chain's and an exchange's) can meet that mean while no member of
one is close to the other: each group is tight, what joins them is thin. One story told in varied
words looks different: a core of close accounts and a periphery that is loosely close to all of it,
not a second tight group.

So each story is checked from the top of its own dendrogram down: cut in two, the halves stay one
story unless both are groups (at least two members) and the similarity *between* them is less than
``ratio`` times the cohesion of the looser half. A half that is split off is checked the same way.
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

__all__ = ["verify_stories"]


def verify_stories(labels: np.ndarray, sims: np.ndarray, *, ratio: float) -> np.ndarray:
    """``labels`` with every story that is two weakly joined groups split into them (see the module
    docstring); 0 leaves the labels as they are."""
    if ratio <= 0:
        return labels
    out = labels.copy()
    next_label = int(labels.max()) + 1 if len(labels) else 0
    for label in np.unique(labels):
        pending = [np.flatnonzero(labels == label)]
        pieces = []
        while pending:
            group = pending.pop()
            halves = _halves(sims[np.ix_(group, group)])
            if halves is not None and _weakly_joined(sims, group, halves, ratio):
                pending.extend(group[h] for h in halves)
            else:
                pieces.append(group)
        # The piece holding the story's first member keeps its label, so labels stay in input order.
        pieces.sort(key=lambda g: int(g.min()))
        for piece in pieces[1:]:
            out[piece] = next_label
            next_label += 1
    return out


def _halves(sims: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The two groups the story's last average-linkage merge joined; None when it has fewer than four
    members (a pair or a triple has no two groups to compare)."""
    n = len(sims)
    if n < 4:
        return None
    top = max(1.0, float(sims.max()))
    distance = top - sims
    np.fill_diagonal(distance, 0.0)
    distance = (distance + distance.T) / 2.0
    tree = linkage(squareform(distance, checks=False), method="average")
    cut = np.asarray(fcluster(tree, t=2, criterion="maxclust"), dtype=np.int64)
    return np.flatnonzero(cut == cut.min()), np.flatnonzero(cut != cut.min())


def _weakly_joined(sims: np.ndarray, group: np.ndarray, halves: tuple[np.ndarray, np.ndarray], ratio: float) -> bool:
    left, right = group[halves[0]], group[halves[1]]
    if len(left) < 2 or len(right) < 2:
        return False
    between = float(sims[np.ix_(left, right)].mean())
    return between < ratio * min(_cohesion(sims, left), _cohesion(sims, right))


def _cohesion(sims: np.ndarray, members: np.ndarray) -> float:
    block = sims[np.ix_(members, members)]
    n = len(members)
    return float((block.sum() - np.trace(block)) / (n * (n - 1)))
