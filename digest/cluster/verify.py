"""Checking that each story is about one event, and splitting off what is not.

Average linkage joins two groups when their *mean* similarity reaches the threshold. Two cohesive
stories that share a frequent name or a company ("Okafor" in a police probe and a stadium opening;
"files for bankruptcy" in a pizza chain's and an exchange's) can meet that mean while no member of
one is close to the other: each group is tight, what joins them is thin. One story told in varied
words looks different: a core of close accounts and a periphery loosely close to all of it, not a
second tight group.

So each story is checked from the top of its own dendrogram down. Cut in two, the halves stay one
story unless the smaller holds at least two articles and ``share`` of the story, and the similarity
*between* the halves is less than ``ratio`` times the cohesion of the looser half; a half that is
split off is checked the same way. A few close accounts at the edge of a large story are its
fringe, which attaching already judged, not a second story.

Then each story must have a core: its medoid (the article most similar on average to the others)
and at least one other article ``core`` similar to it. A story whose articles all sit at the
threshold's edge of one another (five essays on one company, two blurbs naming one singer) is a
name they share, not an event they report: its articles become stories of their own.
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
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
        halves = _halves(block) if ratio > 0 else None
        if halves is not None and _thinly_joined(block, halves, ratio=ratio, share=share):
            pending.extend(group[h] for h in halves)
        elif len(group) == 1 or _has_core(block, core):
            pieces.append(group)
        else:
            pieces.extend(group[i : i + 1] for i in range(len(group)))
    return pieces


def _halves(sims: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The two groups the story's last average-linkage merge joined; None for fewer than four articles
    (there are no two groups of two to compare)."""
    if len(sims) < 4:
        return None
    top = max(1.0, float(sims.max()))
    distance = top - sims
    np.fill_diagonal(distance, 0.0)
    distance = (distance + distance.T) / 2.0
    tree = linkage(squareform(distance, checks=False), method="average")
    cut = np.asarray(fcluster(tree, t=2, criterion="maxclust"), dtype=np.int64)
    return np.flatnonzero(cut == cut.min()), np.flatnonzero(cut != cut.min())


def _thinly_joined(sims: np.ndarray, halves: tuple[np.ndarray, np.ndarray], *, ratio: float, share: float) -> bool:
    left, right = halves
    if min(len(left), len(right)) < max(2.0, share * len(sims)):
        return False
    between = float(sims[np.ix_(left, right)].mean())
    return between < ratio * min(_cohesion(sims, left), _cohesion(sims, right))


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
