"""ROUGE of the extractive summarizer against reference summaries, beside Lead-k and random picks.

    python benchmarks/summary_quality.py ../shared/bench/summaries/bbc [--limit N]

Reads ``DIR/stories.jsonl`` (the "stories with reference summaries" format of the bench README).
Each summary is as long as its reference in sentences. ROUGE-1/2/L F1 with stemming (``rouge-score``,
the ``bench`` extra). Parameters are the config defaults of ``[summary]`` unless given here.
Last line: ``rouge1=… rouge2=… rougeL=…`` for the summarizer.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from rouge_score import rouge_scorer

from digest.config import SummaryConfig
from digest.models import Article, Story
from digest.summarize.extractive import candidates, summarize_story
from digest.summarize.sentences import split_sentences

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
METRICS = ("rouge1", "rouge2", "rougeL")


def load_stories(folder: Path) -> Iterator[tuple[Story, str]]:
    with (folder / "stories.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            articles = tuple(_article(a) for a in row["articles"])
            yield Story(id=row["id"], label=articles[0].title, lead=articles[0], articles=articles), row["summary"]


def _article(raw: dict[str, str | None]) -> Article:
    published = datetime.fromisoformat(raw["published"]) if raw.get("published") else EPOCH
    return Article(
        id=str(raw["id"]),
        title=raw.get("title") or "",
        url=raw.get("url") or "",
        source=raw.get("source") or "",
        published=published,
        text=raw.get("text") or "",
    )


def reference_sentences(summary: str) -> list[str]:
    # Some corpora glue their summary sentences together ("…$10.9bn.For the full-year…").
    return split_sentences(re.sub(r"([.!?][\"”]?)(?=[\"“]?[A-Z])", r"\1 ", summary))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--limit", type=int, default=0, help="score only the first N stories")
    defaults = SummaryConfig()
    parser.add_argument("--lead-weight", type=float, default=defaults.lead_weight)
    parser.add_argument("--redundancy", type=float, default=defaults.redundancy)
    parser.add_argument("--damping", type=float, default=defaults.damping)
    args = parser.parse_args()
    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    rng = random.Random(0)
    systems: dict[str, Callable[[Story, int], list[str]]] = {
        "ours": lambda story, k: [s.text for s in summarize_story(story, params=_params(args, k))],
        "lead-k": lambda story, k: [c.text for c in candidates(story, min_words=1)][:k],
        "random": lambda story, k: _random_pick(story, k, rng),
    }
    scores: dict[str, dict[str, list[float]]] = {name: {m: [] for m in METRICS} for name in systems}
    elapsed = 0.0
    count = 0
    for story, summary in load_stories(args.folder):
        k = len(reference_sentences(summary))
        for name, system in systems.items():
            started = time.perf_counter()
            picked = system(story, k)
            if name == "ours":
                elapsed += time.perf_counter() - started
            result = scorer.score(summary, " ".join(picked))
            for metric in METRICS:
                scores[name][metric].append(result[metric].fmeasure)
        count += 1
        if args.limit and count >= args.limit:
            break
    if not count:
        sys.exit(f"no stories in {args.folder / 'stories.jsonl'}")
    print(f"{count} stories, summarizer {1000 * elapsed / count:.1f} ms per story")
    means = {name: {m: statistics.fmean(v) for m, v in by.items()} for name, by in scores.items()}
    for name, by in means.items():
        print(f"{name:8s} " + " ".join(f"{m}={by[m]:.3f}" for m in METRICS))
    print(" ".join(f"{m}={means['ours'][m]:.4f}" for m in METRICS))


def _params(args: argparse.Namespace, k: int) -> SummaryConfig:
    return replace(
        SummaryConfig(), sentences=k, lead_weight=args.lead_weight, redundancy=args.redundancy, damping=args.damping
    )


def _random_pick(story: Story, k: int, rng: random.Random) -> list[str]:
    found = candidates(story, min_words=1)
    picked = sorted(rng.sample(range(len(found)), min(k, len(found))))
    return [found[i].text for i in picked]


if __name__ == "__main__":
    main()
