"""Fragments attach to stories one at a time, against a plain reading of the definition."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.cluster.estimator import _attach_fragments


def _reference(labels: np.ndarray, sims: np.ndarray, size: int, threshold: float) -> np.ndarray:
    """Until none is close enough: the fragment and larger story with the highest mean similarity, as
    both stand now, become one."""
    labels = labels.copy()
    original, counts = np.unique(labels, return_counts=True)
    fragments = [int(v) for v, c in zip(original, counts, strict=True) if c <= size]
    stories = [int(v) for v, c in zip(original, counts, strict=True) if c > size]
    while fragments and stories:
        means = [
            (sims[np.ix_(labels == f, labels == s)].mean(), -i, -j)
            for i, f in enumerate(fragments)
            for j, s in enumerate(stories)
        ]
        best, i, j = max(means)
        if best < threshold:
            break
        labels[labels == fragments[-i]] = stories[-j]
        fragments.pop(-i)
    return labels


@st.composite
def _splits(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int]:
    n = draw(st.integers(2, 24))
    labels = np.array(draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)))
    # Quarters keep means exact enough that ties are real ties, broken the same way by both.
    upper = draw(st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), min_size=n * n, max_size=n * n))
    sims = np.array(upper, dtype=np.float64).reshape(n, n)
    return labels, (sims + sims.T) / 2, draw(st.integers(1, 4))


@settings(max_examples=300, deadline=None)
@given(_splits(), st.sampled_from([0.1, 0.3, 0.5]))
def test_fragments_join_the_closest_first_against_stories_as_they_have_grown(
    split: tuple[np.ndarray, np.ndarray, int], threshold: float
) -> None:
    labels, sims, size = split
    got = _attach_fragments(labels, sims, size=size, threshold=threshold)
    assert np.array_equal(got, _reference(labels, sims, size, threshold))


def test_a_fragment_close_to_half_a_story_stays_out_once_the_halves_are_one() -> None:
    # The split gave a story {0..3}, a fragment {4, 5, 6} of the same story, and {7}, close to the
    # first part only (they share a name). The fragment joins first; {7} is then judged against all of
    # it: (4 x 0.4 + 3 x 0) / 7 < 0.3. Judged against the first part alone it would join.
    sims = np.zeros((8, 8))
    sims[:4, :4] = sims[4:7, 4:7] = 1.0
    sims[:4, 4:7] = sims[4:7, :4] = 0.5
    sims[7, :4] = sims[:4, 7] = 0.4
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 2])
    assert _attach_fragments(labels, sims, size=3, threshold=0.3).tolist() == [0, 0, 0, 0, 0, 0, 0, 2]
