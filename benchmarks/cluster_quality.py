"""Story clustering quality on a labelled corpus, run exactly as ``digest run`` dedupes and clusters.

    python benchmarks/cluster_quality.py ../shared/bench/clustering/ecbplus
    python benchmarks/cluster_quality.py DIR --param representation=semantic
    python benchmarks/cluster_quality.py DIR --param threshold=0.1 --param entity_weight=0.3
    python benchmarks/cluster_quality.py DIR --half odd     # choose a setting here ...
    python benchmarks/cluster_quality.py DIR --half even    # ... and confirm it here

Prints B-cubed precision/recall/F1, the adjusted Rand index and predicted vs gold story counts for
the shipped defaults (changed only by ``--param`` keys of the ``[cluster]`` config table), beside
two reference points: every article its own story, and one story per gold topic. Articles without
a date share one date. ``--half odd`` or ``--half even`` keeps only the topics of that half (by the
parity of the topic number, or of a stable hash of a topic name), so a setting can be chosen on one half
and confirmed on the other. Last line: ``bcubed_f1=… ari=…``.
"""

from __future__ import annotations

import argparse
import sys
import time
import zlib
from pathlib import Path

from sklearn.metrics import adjusted_rand_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _labelled import bcubed, read_labelled

from digest import dedupe
from digest.cluster import StoryClusterer
from digest.config import ClusterConfig, DedupeConfig, parse_config
from digest.models import Article


def cluster_like_a_run(articles: list[Article], cluster: ClusterConfig, dd: DedupeConfig) -> list[int]:
    """Dedupe then cluster; copies folded into an article get that article's story."""
    unique = dedupe.near_duplicates(articles, threshold=dd.threshold, num_perm=dd.num_perm, bands=dd.bands)
    labels = StoryClusterer(**cluster.estimator_params()).fit(unique).labels_
    story = {}
    for article, label in zip(unique, labels, strict=True):
        story[article.id] = int(label)
        for link in article.also_published_by:
            story[link.article_id] = int(label)
    return [story[a.id] for a in articles]


def _parse(params: list[str]) -> dict[str, object]:
    table: dict[str, object] = {}
    for item in params:
        key, _, raw = item.partition("=")
        value: object = raw
        for kind in (int, float):
            try:
                value = kind(raw)
                break
            except ValueError:
                continue
        table[key] = value
    return table


def in_half(topic: str, half: str) -> bool:
    """Whether ``topic`` belongs to the ``"odd"`` or ``"even"`` half of a corpus's topics."""
    number = int(topic) if topic.isdigit() else zlib.crc32(topic.encode("utf-8"))
    return number % 2 == (1 if half == "odd" else 0)


def _line(name: str, gold: list[str], predicted: list[object]) -> tuple[float, float]:
    p, r, f = bcubed(gold, predicted)
    ari = adjusted_rand_score(gold, [str(x) for x in predicted])
    print(f"{name:<24} stories={len(set(predicted)):>5}  b3_p={p:.3f} b3_r={r:.3f} b3_f1={f:.3f} ari={ari:.3f}")
    return f, ari


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--param", action="append", default=[], help="a [cluster] config key=value")
    parser.add_argument("--half", choices=["odd", "even"], help="keep only this half of the topics")
    args = parser.parse_args()
    config = parse_config({"cluster": _parse(args.param)})
    articles, gold, topics = read_labelled(args.folder)
    if args.half:
        keep = [i for i, topic in enumerate(topics) if in_half(topic, args.half)]
        articles, gold, topics = [articles[i] for i in keep], [gold[i] for i in keep], [topics[i] for i in keep]
    print(f"{args.folder}: {len(articles)} articles, {len(set(gold))} gold stories, {len(set(topics))} topics")
    _line("every article alone", gold, list(range(len(articles))))
    _line("one story per topic", gold, list(topics))
    start = time.perf_counter()
    predicted = cluster_like_a_run(articles, config.cluster, config.dedupe)
    elapsed = time.perf_counter() - start
    f, ari = _line(f"digest ({config.cluster.representation})", gold, list(predicted))
    print(f"seconds={elapsed:.2f}")
    print(f"bcubed_f1={f:.3f} ari={ari:.3f}")


if __name__ == "__main__":
    main()
