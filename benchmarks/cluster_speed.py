"""Time and memory of dedupe + clustering on generated news-like weeks.

    python benchmarks/cluster_speed.py --articles 1000 10000 100000

Each size runs in its own process (so peak memory is that size's alone): it generates a week of
articles (stories of 1 to ~40 articles over seven days, each article a headline and about 120 words
mixing common words, words of its kind of event, and the names, places and figures of its story;
one article in ten a lightly edited wire copy of another), then times ``dedupe.near_duplicates``
followed by ``StoryClusterer.fit`` exactly as a run calls them. Prints one line per size, the growth
exponent log(t2/t1)/log(n2/n1) between consecutive sizes, and last
``n=… seconds=… peak_mb=… exponent=…`` for the largest. ``--param key=value`` changes a key of the
``[cluster]`` config table, e.g. ``--param semantic_model=minilm``. ``--headlines`` keeps only each
article's title, as most feeds carry: a week of headlines is where the embeddings are computed (a
week of full articles is told apart by its names and figures and embeds nothing by default).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digest import dedupe
from digest.cluster import StoryClusterer
from digest.config import DedupeConfig, parse_config
from digest.models import Article

SYLLABLES = ("ka", "lo", "mi", "ra", "ten", "vu", "sol", "par", "den", "il", "mar", "ost", "bel")
SYLLABLES += ("cor", "fen", "gra", "hul", "jin", "kes", "lum", "nor", "pet", "quin", "rov", "sat")
END = datetime(2026, 11, 23, 9, tzinfo=UTC)


def _word(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts))


def generate(n: int, seed: int) -> list[Article]:
    rng = random.Random(seed)
    common = [_word(rng, 2) for _ in range(3000)]
    weights = [1 / (rank + 1) for rank in range(len(common))]
    kinds = [[_word(rng, 3) for _ in range(25)] for _ in range(max(20, n // 200))]
    articles: list[Article] = []
    story = 0
    while len(articles) < n:
        story += 1
        kind = rng.choice(kinds)
        names = [_word(rng, 4).capitalize() for _ in range(6)]
        figures = [str(rng.randint(2, 5000)) for _ in range(3)]
        centre = END - timedelta(days=rng.uniform(0, 7))
        for k in range(min(n - len(articles), int(rng.paretovariate(1.2)) if rng.random() < 0.9 else 40)):
            if articles and k and rng.random() < 0.1:
                articles.append(_copy(rng, articles[-1], len(articles)))
                continue
            body = rng.choices(common, weights, k=80) + rng.choices(kind, k=20)
            body += rng.choices(names, k=12) + rng.choices(figures, k=4)
            rng.shuffle(body)
            sentences = [" ".join(body[i : i + 15]).capitalize() + "." for i in range(0, len(body), 15)]
            title = " ".join([*rng.sample(names, 2), *rng.sample(kind, 3)]).capitalize()
            published = centre + timedelta(hours=rng.uniform(-30, 30))
            source = f"Outlet {rng.randint(1, 300)}"
            articles.append(
                Article(
                    f"a{len(articles)}",
                    title,
                    f"https://example.org/{len(articles)}",
                    source,
                    min(published, END),
                    " ".join(sentences),
                )
            )
    return articles


def _copy(rng: random.Random, original: Article, index: int) -> Article:
    words = original.text.split()
    words[rng.randrange(len(words))] = "reportedly"
    return Article(
        f"a{index}",
        "Wire: " + original.title,
        f"https://example.net/{index}",
        "Wire Service",
        original.published + timedelta(minutes=rng.randint(5, 300)),
        " ".join(words) + " More to follow.",
    )


def measure(n: int, seed: int, params: list[str], *, headlines: bool = False) -> dict[str, float]:
    articles = generate(n, seed)
    if headlines:
        articles = [replace(a, text="") for a in articles]
    config, dd = parse_config({"cluster": dict(_param(p) for p in params)}).cluster, DedupeConfig()
    start = time.perf_counter()
    unique = dedupe.near_duplicates(articles, threshold=dd.threshold, num_perm=dd.num_perm, bands=dd.bands)
    deduped = time.perf_counter()
    clusterer = StoryClusterer(**config.estimator_params()).fit(unique)
    end = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "n": n,
        "seconds": end - start,
        "dedupe_seconds": deduped - start,
        "cluster_seconds": end - deduped,
        "peak_mb": peak,
        "unique": len(unique),
        "stories": int(clusterer.n_clusters_),
    }


def _param(item: str) -> tuple[str, object]:
    key, _, raw = item.partition("=")
    for kind in (int, float):
        try:
            return key, kind(raw)
        except ValueError:
            continue
    return key, raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--param", action="append", default=[], help="a [cluster] config key=value")
    parser.add_argument("--headlines", action="store_true", help="titles only: every article is embedded")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.seed, args.param, headlines=args.headlines)))
        return
    previous: dict[str, float] | None = None
    exponent = float("nan")
    for n in args.articles:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n), "--seed", str(args.seed)]
            + [f"--param={p}" for p in args.param]
            + (["--headlines"] if args.headlines else []),
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        row = json.loads(out.strip().splitlines()[-1])
        if previous:
            exponent = math.log(row["seconds"] / previous["seconds"]) / math.log(row["n"] / previous["n"])
        print(
            f"n={n} dedupe={row['dedupe_seconds']:.2f}s cluster={row['cluster_seconds']:.2f}s "
            f"unique={row['unique']} stories={row['stories']} peak_mb={row['peak_mb']:.0f} exponent={exponent:.3f}"
        )
        previous = row
    assert previous is not None
    print(
        f"n={previous['n']} seconds={previous['seconds']:.2f} peak_mb={previous['peak_mb']:.0f} "
        f"exponent={exponent:.3f} docs_per_s={previous['n'] / previous['seconds']:.0f}"
    )


if __name__ == "__main__":
    main()
