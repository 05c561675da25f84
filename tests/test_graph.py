"""The candidate graph's cut of an oversized component, against a plain reading of its definition."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.cluster import graph


def _reference(n: int, rows: np.ndarray, cols: np.ndarray, sims: np.ndarray, cap: int) -> set[frozenset[int]]:
    """Strongest edge first, two pieces join unless their sizes add up past ``cap``."""
    piece = list(range(n))
    for e in sorted(range(len(sims)), key=lambda e: (-sims[e], e)):
        a, b = piece[rows[e]], piece[cols[e]]
        if a != b and piece.count(a) + piece.count(b) <= cap:
            piece = [a if p == b else p for p in piece]
    return {frozenset(i for i in range(n) if piece[i] == p) for p in set(piece)}


@st.composite
def _components(draw: st.DrawFn) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, int]:
    n = draw(st.integers(2, 40))
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=1, max_size=120))
    weights = draw(st.lists(st.sampled_from([0.1, 0.2, 0.3, 0.5, 0.9]), min_size=len(edges), max_size=len(edges)))
    cap = draw(st.integers(1, n))
    rows = np.array([a for a, _ in edges])
    cols = np.array([b for _, b in edges])
    return n, rows, cols, np.array(weights), cap


@settings(max_examples=200, deadline=None)
@given(_components())
def test_an_oversized_component_is_cut_as_single_linkage_under_a_size_cap(
    component: tuple[int, np.ndarray, np.ndarray, np.ndarray, int],
) -> None:
    n, rows, cols, sims, cap = component
    with pytest.MonkeyPatch.context() as patch:
        # Small chunks, so the edges between two pieces are found again and again as pieces grow.
        patch.setattr(graph, "_EDGE_CHUNK", 7)
        pieces = list(graph._capped(np.arange(n), rows, cols, sims, cap))
    assert sorted(int(i) for p in pieces for i in p) == list(range(n))
    assert all(len(p) <= cap for p in pieces)
    assert {frozenset(int(i) for i in p) for p in pieces} == _reference(n, rows, cols, sims, cap)
