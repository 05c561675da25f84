"""Story clustering quality on labelled corpora, run exactly as ``digest run`` dedupes and clusters.

    python benchmarks/cluster_quality.py ../shared/bench/clustering            # every corpus in it
    python benchmarks/cluster_quality.py ../shared/bench/clustering/ecbplus    # one corpus
    python benchmarks/cluster_quality.py DIR --model /path/to/model-folder    # repeatable
    python benchmarks/cluster_quality.py DIR --param threshold=0.1 --param entity_weight=0.3
    python benchmarks/cluster_quality.py DIR --half odd     # choose a setting here ...
    python benchmarks/cluster_quality.py DIR --half even    # ... and confirm it here

``DIR`` is a corpus (a folder with ``articles.jsonl``) or a folder of corpora. For each corpus it
prints B-cubed precision/recall/F1, the adjusted Rand index and predicted vs gold story counts for
the shipped defaults (changed only by ``--param`` keys of the ``[cluster]`` config table) with each
representation installed: ``wordllama`` (the default: static embeddings installed with digest),
``lexical`` (TF-IDF alone), ``minilm`` (all-MiniLM-L6-v2) when the ``semantic`` extra is installed,
and each ``--model`` folder (a model2vec, sentence-transformers or ONNX model, named by the folder's
name) whose packages are installed; beside three reference points: every article its own story, all
in one story, and one story per gold topic.
Articles without a date share one date. ``--half odd`` or ``--half even`` keeps only the topics of
that half (by the parity of the topic number, or of a stable hash of a topic name), so a setting can
be chosen on one half and confirmed on the other.
Last line: ``CORPUS.REPRESENTATION=F1 …`` for every corpus and representation measured.
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
from digest.cluster import StoryClusterer, semantic
from digest.config import ClusterConfig, DedupeConfig, parse_config
from digest.models import Article


def cluster_like_a_run(articles: list[Article], cluster: ClusterConfig, dd: DedupeConfig) -> list[int]:
    """Dedupe then cluster; copies folded into an article (another outlet's, or its own source's under
    another link) get that article's story."""
    unique = dedupe.near_duplicates(articles, threshold=dd.threshold, num_perm=dd.num_perm, bands=dd.bands)
    labels = StoryClusterer(**cluster.estimator_params()).fit(unique).labels_
    story = {}
    for article, label in zip(unique, labels, strict=True):
        for folded in article.ids:
            story[folded] = int(label)
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


def corpora(folder: Path) -> list[Path]:
    """``folder`` itself when it is a corpus, else the corpora directly inside it, by name."""
    if (folder / "articles.jsonl").exists():
        return [folder]
    return sorted(p for p in folder.iterdir() if (p / "articles.jsonl").exists())


def representations(folders: list[str]) -> dict[str, dict[str, object]]:
    """The ``[cluster]`` keys of each representation that can run here: the shipped default
    (``wordllama`` static embeddings), TF-IDF alone, and the optional models when installed."""
    found: dict[str, dict[str, object]] = {"wordllama": {}, "lexical": {"representation": "lexical"}}
    if semantic.available(semantic.MINILM):
        found["minilm"] = {"semantic_model": semantic.MINILM}
    for folder in folders:
        if semantic.available(folder):
            # Named by the folder's name, or its whole path when two folders share a name.
            name = Path(folder).name if Path(folder).name not in found else folder
            found[name] = {"semantic_model": folder}
        else:
            print(f"skipped {folder}: the packages its model needs are not installed", file=sys.stderr)
    return found


def measure(folder: Path, half: str | None, tables: dict[str, dict[str, object]]) -> dict[str, float]:
    """Print the lines of one corpus; the B-cubed F1 of each representation."""
    articles, gold, topics = read_labelled(folder)
    if half:
        keep = [i for i, topic in enumerate(topics) if in_half(topic, half)]
        articles, gold, topics = [articles[i] for i in keep], [gold[i] for i in keep], [topics[i] for i in keep]
    print(f"{folder}: {len(articles)} articles, {len(set(gold))} gold stories, {len(set(topics))} topics")
    _line("every article alone", gold, list(range(len(articles))))
    _line("all in one story", gold, [0] * len(articles))
    _line("one story per topic", gold, list(topics))
    scores = {}
    for name, table in tables.items():
        config = parse_config({"cluster": table})
        start = time.perf_counter()
        predicted = cluster_like_a_run(articles, config.cluster, config.dedupe)
        elapsed = time.perf_counter() - start
        scores[name], _ = _line(f"digest ({name})", gold, list(predicted))
        print(f"  {name}: seconds={elapsed:.2f}")
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--param", action="append", default=[], help="a [cluster] config key=value")
    parser.add_argument("--half", choices=["odd", "even"], help="keep only this half of the topics")
    parser.add_argument("--model", action="append", default=[], help="a model folder to measure as well")
    parser.add_argument("--default-only", action="store_true", help="measure the shipped defaults only")
    args = parser.parse_args()
    base = _parse(args.param)
    tables = {"wordllama": {}} if args.default_only else representations(args.model)
    tables = {name: {**table, **base} for name, table in tables.items()}
    results = {}
    for folder in corpora(args.folder):
        for name, f in measure(folder, args.half, tables).items():
            results[f"{folder.name}.{name}"] = f
    print(" ".join(f"{key}={value:.3f}" for key, value in results.items()))


if __name__ == "__main__":
    main()
