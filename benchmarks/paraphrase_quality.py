"""Same-story decision on news sentence pairs (MSRP): the clusterer's pairwise similarity, thresholded as shipped.

    python benchmarks/paraphrase_quality.py ../shared/bench/paraphrase/msrp/msr_paraphrase_train.txt
    python benchmarks/paraphrase_quality.py FILE --param representation=semantic

Every sentence of the file is one article of a "week" (so IDF comes from the whole file, as it comes
from the whole week in a run); each pair's similarity is :meth:`StoryClusterer.similarity`, the
week-wide similarity that decides topics, and a pair is called the same when it reaches the shipped
``cluster.threshold``. Also printed: the majority class and, for scale only, the threshold that would
have been best in hindsight. Last line: ``accuracy=… f1=…`` at the shipped threshold.
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cluster_quality import _parse

from digest.cluster import StoryClusterer
from digest.config import parse_config
from digest.models import Article

WHEN = datetime(2026, 11, 23, tzinfo=UTC)


def read_pairs(path: Path) -> tuple[list[str], list[tuple[int, int]], np.ndarray]:
    sentences: dict[str, int] = {}
    pairs, gold = [], []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)
        for row in rows:
            if len(row) < 5:
                continue
            a = sentences.setdefault(row[3], len(sentences))
            b = sentences.setdefault(row[4], len(sentences))
            pairs.append((a, b))
            gold.append(row[0] == "1")
    return list(sentences), pairs, np.array(gold)


def scores(gold: np.ndarray, said: np.ndarray) -> tuple[float, float]:
    tp = int(np.sum(gold & said))
    precision = tp / max(int(said.sum()), 1)
    recall = tp / max(int(gold.sum()), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return float(np.mean(gold == said)), f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--param", action="append", default=[], help="a [cluster] config key=value")
    args = parser.parse_args()
    config = parse_config({"cluster": _parse(args.param)}).cluster
    texts, pairs, gold = read_pairs(args.file)
    articles = [Article(id=str(i), title="", url="", source="", published=WHEN, text=t) for i, t in enumerate(texts)]
    sims = StoryClusterer(**config.estimator_params()).similarity(articles, pairs)
    print(f"{args.file}: {len(pairs)} pairs, {int(gold.sum())} paraphrases, {len(texts)} sentences")
    print(f"majority class           accuracy={max(gold.mean(), 1 - gold.mean()):.3f}")
    best = max((scores(gold, sims >= t)[0], float(t)) for t in np.arange(0.05, 0.95, 0.01))
    print(f"best in hindsight        accuracy={best[0]:.3f} at similarity >= {best[1]:.2f}")
    accuracy, f1 = scores(gold, sims >= config.threshold)
    print(f"digest ({config.representation}) at threshold {config.threshold}")
    print(f"accuracy={accuracy:.3f} f1={f1:.3f}")


if __name__ == "__main__":
    main()
