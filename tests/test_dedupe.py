"""Dedupe: already-sent and same-id articles dropped, wire copies collapsed into one article."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from digest.dedupe import drop_seen, minhash_signatures, near_duplicate_groups, near_duplicates, shingles
from digest.models import Article

T0 = datetime(2026, 11, 18, 8, tzinfo=UTC)
WIRE = (
    "Port authorities in Kessel closed the northern container terminal on Monday after a crane collapsed onto a "
    "cargo ship during high winds. Two dock workers were taken to hospital with minor injuries, the harbour master "
    "said. Shipping lines diverted eleven vessels to the southern berths while engineers inspected the remaining "
    "cranes. The terminal handles about a third of the port's traffic and is expected to reopen on Thursday if "
    "the inspections find no further damage. Union representatives called for an independent review of wind "
    "limits for crane operations."
)


def make(id: str, source: str, title: str, text: str, minutes: int = 0) -> Article:
    return Article(
        id=id,
        title=title,
        url=f"https://{source}.example/{id}",
        source=source,
        published=T0 + timedelta(minutes=minutes),
        text=text,
    )


def test_wire_story_and_lightly_edited_copies_become_one_article() -> None:
    original = make("wire", "wire", "Crane collapse shuts Kessel terminal", WIRE)
    retitled = make("c1", "daily", "Kessel port: terminal closed after crane falls on ship", WIRE, minutes=40)
    extended = make(
        "c2",
        "herald",
        "Crane collapse shuts Kessel terminal",
        WIRE + " The port's chief executive said she would meet unions next week.",
        minutes=90,
    )
    rebylined = make(
        "c3",
        "gazette",
        "Crane collapse shuts Kessel terminal",
        "By Ana Ruiz, Staff Reporter. " + WIRE.replace("Monday", "Monday morning"),
        minutes=120,
    )
    other = make(
        "x",
        "daily",
        "Council approves tram budget",
        "The city council voted to fund the Harbour Line "
        "tram on Wednesday, a fourteen kilometre route from the ferry terminal to Northgate.",
    )
    result = near_duplicates([extended, other, rebylined, retitled, original], threshold=0.7)
    assert [a.id for a in result] == ["wire", "x"]
    kept = result[0]
    assert [link.article_id for link in kept.also_published_by] == ["c1", "c2", "c3"]
    assert [link.source for link in kept.also_published_by] == ["daily", "herald", "gazette"]


def test_different_stories_are_not_copies() -> None:
    rng = random.Random(1)
    vocabulary = [f"w{i}" for i in range(3000)]
    articles = [make(f"a{i}", "s", "", " ".join(rng.choices(vocabulary, k=120)), minutes=i) for i in range(50)]
    assert len(near_duplicates(articles, threshold=0.7)) == 50


def test_threshold_decides() -> None:
    most = WIRE[: len(WIRE) * 4 // 5]  # Jaccard of the shingle sets about 0.8
    a, b = make("a", "s", "", WIRE), make("b", "t", "", most, minutes=5)
    assert len(near_duplicates([a, b], threshold=0.9)) == 2
    assert len(near_duplicates([a, b], threshold=0.7)) == 1


def test_empty_and_tiny_inputs() -> None:
    assert near_duplicates([], threshold=0.7) == ()
    tiny = [make("a", "s", "", ""), make("b", "s", "", ""), make("c", "s", "Hi", "")]
    assert len(near_duplicates(tiny, threshold=0.7)) == 3
    assert near_duplicate_groups(["one two", "one two", "three"], threshold=0.9) == [[0, 1], [2]]


def test_result_does_not_depend_on_input_order() -> None:
    articles = [make(f"a{i}", "s", "t", WIRE + f" Update {i}.", minutes=i) for i in range(6)]
    first = near_duplicates(articles, threshold=0.7)
    assert near_duplicates(list(reversed(articles)), threshold=0.7) == first


def test_minhash_estimates_jaccard() -> None:
    a = np.arange(0, 400, dtype=np.uint64)
    b = np.arange(100, 500, dtype=np.uint64)  # Jaccard 300 / 500 = 0.6
    sig = minhash_signatures([a, b], num_perm=256, seed=0)
    assert abs(float(np.mean(sig[0] == sig[1])) - 0.6) < 0.08
    assert np.array_equal(sig, minhash_signatures([a, b], num_perm=256, seed=0))
    with pytest.raises(ValueError):
        minhash_signatures([a, np.zeros(0, dtype=np.uint64)], num_perm=8)


def test_shingles() -> None:
    assert shingles("A b c d") == frozenset({"a b c", "b c d"})
    assert shingles("a b") == frozenset({"a b"})
    assert shingles("") == frozenset()


def test_drop_seen_keeps_earliest_of_same_id() -> None:
    late, early = make("same", "a", "t", "x", minutes=30), make("same", "b", "t", "x")
    assert drop_seen([late, early, make("old", "a", "t", "y")], {"old"}) == (early,)


def test_minhash_rows_do_not_depend_on_the_other_sets() -> None:
    rng = np.random.default_rng(1)
    # More sets than are hashed in one block, of uneven sizes, so block edges are crossed.
    sets = [np.unique(rng.integers(0, 10**9, size=int(rng.integers(1, 60)))).astype(np.uint64) for _ in range(2500)]
    together = minhash_signatures(sets, num_perm=16, seed=3)
    for i in (0, 1023, 1024, 1025, 2499):
        assert np.array_equal(together[i], minhash_signatures([sets[i]], num_perm=16, seed=3)[0])
