"""Checking that each story is about one event, and splitting off what is not.

Average linkage joins two groups when their *mean* similarity reaches the threshold. Two cohesive
stories that share a frequent name or a company ("Okafor" in a police probe and a stadium opening;
"files for bankruptcy" in a pizza chain's and an exchange's) can meet that mean while no member of
one is close to the other: each group is tight, what joins them is thin. One story told in varied
words looks different: a core of close accounts and a periphery loosely close to all of it, not a
second tight group.

So each story is checked from the top of its own dendrogram down. Its highest merge of two groups
that each hold at least two articles and ``share`` of the story cuts it in two: the halves stay one
story unless the similarity *between* them is less than ``ratio`` times the cohesion of the looser
half; a half that is split off is checked the same way. A few accounts at the edge of a large story
are its fringe, which attaching already judged, not a second story: the merges above that cut that
add fewer articles are passed over, and when the story is split each of their articles goes with the
half it is closer to. A festival's name shared by a speaker's story and the festival's own coverage
is often joined last by a handful of outlying headlines; the cut under them is the one that tells.

Then each story must have a core: its medoid (the article most similar on average to the others)
and at least one other article ``core`` similar to it. A story whose articles all sit at the
threshold's edge of one another (five essays on one company, two blurbs naming one singer) is a
name they share, not an event they report: its articles become stories of their own.
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import linkage, to_tree
from scipy.spatial.distance import squareform

__all__ = ["core_members", "medoid", "verify_stories"]


def verify_stories(labels: np.ndarray, sims: np.ndarray, *, ratio: float, share: float, core: float) -> np.ndarray:
    """``labels`` with each story that is two thinly joined groups, or that has no core, split (see the
    module docstring). ``ratio`` 0 and ``core`` 0 leave the labels as they are."""
    out = labels.copy()
    next_label = int(labels.max()) + 1 if len(labels) else 0
    for label in np.unique(labels):
        pieces = _pieces(np.flatnonzero(labels == label), sims, ratio=ratio, share=share, core=core)
        # The piece holding the story's first member keeps its label.
        pieces.sort(key=lambda g: int(g.min()))
        for piece in pieces[1:]:
            out[piece] = next_label
            next_label += 1
    return out


def _pieces(story: np.ndarray, sims: np.ndarray, *, ratio: float, share: float, core: float) -> list[np.ndarray]:
    pending, pieces = [story], []
    while pending:
        group = pending.pop()
        block = sims[np.ix_(group, group)]
        cut = _halves(block, minimum=max(2.0, share * len(group))) if ratio > 0 else None
        if cut is not None and _thinly_joined(block, cut, ratio=ratio):
            pending.extend(group[h] for h in _with_fringe(block, cut))
        elif len(group) == 1 or _has_core(block, core):
            pieces.append(group)
        else:
            pieces.extend(group[i : i + 1] for i in range(len(group)))
    return pieces


def _halves(sims: np.ndarray, *, minimum: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The two groups of at least ``minimum`` articles the story's average-linkage dendrogram joins
    highest, and its fringe: going down from the top, a merge whose smaller side is under ``minimum``
    adds a fringe to the larger side, which is looked into in turn. None when no merge joins two such
    groups (fewer than four articles never do).

    A few outlying accounts are often the story's last merge; the split under them is the one that
    says whether the rest is one story or two."""
    if len(sims) < 4 or len(sims) < 2 * minimum:
        return None
    top = max(1.0, float(sims.max()))
    distance = top - sims
    np.fill_diagonal(distance, 0.0)
    distance = (distance + distance.T) / 2.0
    node = to_tree(linkage(squareform(distance, checks=False), method="average"))
    fringe: list[int] = []
    while not node.is_leaf():
        small, large = sorted((node.get_left(), node.get_right()), key=lambda n: (n.get_count(), n.get_id()))
        if small.get_count() >= minimum:
            left, right = np.sort(small.pre_order()), np.sort(large.pre_order())
            return left, right, np.array(sorted(fringe), dtype=np.int64)
        fringe.extend(small.pre_order())
        node = large
    return None


def _thinly_joined(sims: np.ndarray, cut: tuple[np.ndarray, np.ndarray, np.ndarray], *, ratio: float) -> bool:
    left, right, _ = cut
    between = float(sims[np.ix_(left, right)].mean())
    return between < ratio * min(_cohesion(sims, left), _cohesion(sims, right))


def _with_fringe(sims: np.ndarray, cut: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The two halves of a split story, each fringe article with the half it is closer to on average."""
    left, right, fringe = cut
    if not len(fringe):
        return left, right
    closer_left = sims[np.ix_(fringe, left)].mean(axis=1) >= sims[np.ix_(fringe, right)].mean(axis=1)
    return np.sort(np.concatenate([left, fringe[closer_left]])), np.sort(np.concatenate([right, fringe[~closer_left]]))


def _cohesion(sims: np.ndarray, members: np.ndarray) -> float:
    """Mean similarity of the distinct pairs of ``members`` (at least two)."""
    block = sims[np.ix_(members, members)]
    n = len(members)
    return float((block.sum() - np.trace(block)) / (n * (n - 1)))


def medoid(sims: np.ndarray) -> int:
    """Position of the article most similar on average to the others (the first of equals)."""
    n = len(sims)
    if n < 2:
        return 0
    return int(np.argmax((sims.sum(axis=1) - np.diag(sims)) / (n - 1)))


def _has_core(sims: np.ndarray, core: float) -> bool:
    centre = medoid(sims)
    return bool(np.delete(sims[centre], centre).max() >= core)


def core_members(sims: np.ndarray, core: float) -> np.ndarray:
    """Which articles of one story (its similarity matrix) are its core: the medoid and the articles at
    least ``core`` similar to it. The headline and the lead come from here, not from an article that
    joined on a name it shares with the others."""
    centre = medoid(sims)
    inside = sims[centre] >= core
    inside[centre] = True
    return np.asarray(inside)
