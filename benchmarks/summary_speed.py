"""Time to summarize a story of 5, 50 and 500 articles, and a whole week of 10,000 articles.

    python benchmarks/summary_speed.py ../shared/bench/summaries/bbc

Stories are built from the real articles of ``DIR/stories.jsonl``: a story of n articles takes n
articles of one section, each with its paragraphs in a seeded random order, so no two articles
are copies. The week is stories of skewed sizes (most single articles, a few large ones) adding
up to 10,000 articles, summarized with the config defaults (labels and keyphrases included).
Wall-clock and CPU seconds are both given: on a shared machine the first includes waiting for a core.
Last line: ``story5_ms=… story50_ms=… story500_ms=… week_articles=… week_s=… week_cpu_s=…``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from digest.config import SummaryConfig
from digest.models import Article, Story
from digest.summarize import summarize

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def load_sections(folder: Path) -> dict[str, list[Article]]:
    sections: dict[str, list[Article]] = defaultdict(list)
    with (folder / "stories.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            for raw in row["articles"]:
                article = Article(
                    id=raw["id"], title=raw.get("title") or "", url="", source="bench", published=NOW, text=raw["text"]
                )
                sections[row.get("section") or ""].append(article)
    return sections


def make_story(pool: list[Article], size: int, rng: random.Random, serial: int) -> Story:
    articles = []
    for i in range(size):
        base = pool[rng.randrange(len(pool))]
        paragraphs = base.text.split("\n\n")
        rng.shuffle(paragraphs)
        articles.append(replace(base, id=f"{serial}-{i}", text="\n\n".join(paragraphs), source=f"outlet{i % 40}"))
    return Story(id=str(serial), label="", lead=articles[0], articles=tuple(articles))


def week_sizes(total: int, rng: random.Random) -> list[int]:
    sizes: list[int] = []
    while sum(sizes) < total:
        size = min(int(rng.paretovariate(1.2)), 300, total - sum(sizes))
        sizes.append(max(size, 1))
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--week", type=int, default=10_000, help="articles in the simulated week")
    args = parser.parse_args()
    rng = random.Random(0)
    sections = load_sections(args.folder)
    pools = [pool for _, pool in sorted(sections.items())]
    config = SummaryConfig()
    figures: dict[str, float | int] = {}
    for size in (5, 50, 500):
        runs = 3 if size == 500 else 10
        stories = [make_story(pools[n % len(pools)], size, rng, n) for n in range(runs)]
        times = []
        for one in stories:
            started = time.perf_counter()
            summarize([one], config=config)
            times.append(time.perf_counter() - started)
        figures[f"story{size}_ms"] = 1000 * statistics.median(times)
        print(f"{size:4d} articles per story: {figures[f'story{size}_ms']:8.1f} ms (median of {runs})")
    sizes = week_sizes(args.week, rng)
    week = [make_story(pools[n % len(pools)], size, rng, 1000 + n) for n, size in enumerate(sizes)]
    started, cpu = time.perf_counter(), time.process_time()
    summarize(week, config=config)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"week: {sum(sizes)} articles in {len(sizes)} stories (largest {max(sizes)}): {elapsed:.1f} s, {cpu:.1f} s CPU"
    )
    figures.update(week_articles=sum(sizes), week_s=elapsed, week_cpu_s=cpu)
    print(" ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
