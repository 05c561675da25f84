"""Near-duplicate detection: MinHash + LSH (shipped) against SimHash and exact all-pairs Jaccard.

    python benchmarks/dedupe_quality.py --articles 2000 20000

Generates a week (as ``cluster_speed.py`` does) and adds, for one article in five, a lightly edited
copy: a new headline, a byline line, an extra closing paragraph, a few words changed. Other articles
of the same story are *not* copies. For each method it prints the time, and precision and recall of
the copy pairs found (pairs in one group) against the ones made; exact all-pairs Jaccard, being
quadratic, runs only on the smaller size. Last line: the shipped method at the largest size,
``n=… precision=… recall=… seconds=…``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cluster_speed import generate

from digest import dedupe
from digest.config import DedupeConfig
from digest.models import Article

Method = Callable[[Sequence[str], float], list[list[int]]]


def with_copies(n: int, seed: int) -> tuple[list[str], set[tuple[int, int]]]:
    rng = random.Random(seed)
    articles = [a for a in generate(n, seed) if not a.title.startswith("Wire:")]
    made: set[tuple[int, int]] = set()
    out: list[Article] = list(articles)
    for i, article in enumerate(articles):
        if rng.random() < 0.2:
            words = article.text.split()
            for _ in range(3):
                words[rng.randrange(len(words))] = rng.choice(["said", "reportedly", "officials", "on", "Monday"])
            text = "By Staff Reporter\n" + " ".join(words) + "\nThis story has been updated with more details."
            out.append(replace(article, id=f"copy{i}", title="Update: " + article.title[::-1], text=text))
            made.add((i, len(out) - 1))
    return [f"{a.title}\n{a.text}" for a in out], made


def pairs_of(groups: list[list[int]]) -> set[tuple[int, int]]:
    return {(a, b) for g in groups for x, a in enumerate(g) for b in g[x + 1 :]}


def minhash(texts: Sequence[str], threshold: float) -> list[list[int]]:
    config = DedupeConfig()
    return dedupe.near_duplicate_groups(texts, threshold=threshold, num_perm=config.num_perm, bands=config.bands)


def simhash(texts: Sequence[str], threshold: float) -> list[list[int]]:
    """64-bit SimHash of the shingle set; pairs within ``bits`` Hamming distance (8 exact 8-bit bands)."""
    bits = 7  # Hamming distance ≤ 7 of 64, found for sure by 8 exact 8-bit bands (pigeonhole)
    sets = dedupe._shingle_sets(texts)
    fingerprints = np.zeros(len(texts), dtype=np.uint64)
    for i, values in enumerate(sets):
        if len(values):
            mixed = dedupe._mix(values)
            ones = ((mixed[:, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)).sum(axis=0)
            fingerprints[i] = np.sum((ones * 2 > len(values)).astype(np.uint64) << np.arange(64, dtype=np.uint64))
    parent = list(range(len(texts)))
    for band in range(8):
        buckets: dict[int, list[int]] = {}
        for i, value in enumerate(fingerprints):
            if len(sets[i]):
                buckets.setdefault(int(value >> np.uint64(8 * band)) & 0xFF, []).append(i)
        for members in buckets.values():
            for x, a in enumerate(members):
                for b in members[x + 1 :]:
                    if bin(int(fingerprints[a] ^ fingerprints[b])).count("1") <= bits:
                        dedupe._union(parent, a, b)
    return _groups(parent)


def all_pairs(texts: Sequence[str], threshold: float) -> list[list[int]]:
    sets = dedupe._shingle_sets(texts)
    parent = list(range(len(texts)))
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            if len(sets[i]) and len(sets[j]) and dedupe._jaccard(sets[i], sets[j]) >= threshold:
                dedupe._union(parent, i, j)
    return _groups(parent)


def _groups(parent: list[int]) -> list[list[int]]:
    groups: dict[int, list[int]] = {}
    for i in range(len(parent)):
        groups.setdefault(dedupe._find(parent, i), []).append(i)
    return list(groups.values())


def run(name: str, method: Method, texts: list[str], made: set[tuple[int, int]]) -> tuple[float, float, float]:
    start = time.perf_counter()
    found = pairs_of(method(texts, DedupeConfig().threshold))
    seconds = time.perf_counter() - start
    precision = len(found & made) / max(len(found), 1)
    recall = len(found & made) / max(len(made), 1)
    print(f"  {name:<22} precision={precision:.3f} recall={recall:.3f} seconds={seconds:.2f}")
    return precision, recall, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    result = (0.0, 0.0, 0.0)
    for n in args.articles:
        texts, made = with_copies(n, args.seed)
        print(f"n={len(texts)} copies made={len(made)}")
        result = run("minhash+lsh (shipped)", minhash, texts, made)
        run("simhash", simhash, texts, made)
        if n <= min(args.articles) and n <= 3000:
            run("all pairs (exact)", all_pairs, texts, made)
    print(f"n={len(texts)} precision={result[0]:.3f} recall={result[1]:.3f} seconds={result[2]:.2f}")


if __name__ == "__main__":
    main()
