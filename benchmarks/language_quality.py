"""Language detection against the languages feeds and saved pages declare.

    python benchmarks/language_quality.py [BENCH_DIR]      # default ../shared/bench

Every feed file under ``BENCH_DIR/feeds`` whose items carry a declared language (item ``xml:lang``,
else the feed's ``<language>``), and every saved page under ``BENCH_DIR/extraction`` with an
``expected-metadata.json`` naming its ``lang``, gives one labelled item: the declaration is the label.
Each item is detected twice, from its title alone (short) and from title and text (long), by the
shipped :class:`digest.language.LanguageDetector` and, for comparison, by the same model over all
its 97 languages. Declarations are sometimes wrong: the disagreements are printed by file so each
can be read. Last line: ``items=N accuracy=A short_accuracy=S ms_per_1000=T``, accuracy on long text,
time per 1,000 items from title and text (what a run detects from) of the shipped detector.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import feedparser

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digest.language import LanguageDetector, primary_subtag
from digest.textutil import html_to_text

# Files that are documentation or code beside the fixtures, not feeds.
SKIP_SUFFIXES = {".md", ".go", ".js", ".json", ".py", ".txt", ".html", ".ts", ".yml", ".yaml"}


@dataclass(frozen=True, slots=True)
class Item:
    label: str
    title: str
    text: str
    origin: str


def feed_items(root: Path) -> Iterator[Item]:
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() not in SKIP_SUFFIXES):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = feedparser.parse(path.read_bytes())
        declared = str(parsed.feed.get("language") or "")
        for entry in parsed.entries:
            label = primary_subtag(str((entry.get("title_detail") or {}).get("language") or declared))
            title = html_to_text(str(entry.get("title") or ""))
            if not label or not title:
                continue
            body = entry["content"][0].get("value", "") if entry.get("content") else entry.get("summary", "")
            yield Item(label, title, html_to_text(str(body or "")), str(path.relative_to(root)))


def page_items(root: Path) -> Iterator[Item]:
    for metadata in sorted(root.rglob("expected-metadata.json")):
        fields = json.loads(metadata.read_text(encoding="utf-8"))
        label = primary_subtag(str(fields.get("lang") or ""))
        page = metadata.with_name("expected.html")
        if not label or not page.exists():
            continue
        text = html_to_text(page.read_text(encoding="utf-8"))
        yield Item(label, str(fields.get("title") or ""), text, str(metadata.parent.relative_to(root)))


def score(
    items: list[Item], detect: Callable[[str], str], *, long: bool
) -> tuple[float, Counter[tuple[str, str, str]]]:
    wrong: Counter[tuple[str, str, str]] = Counter()
    right = 0
    for item in items:
        found = detect(f"{item.title}\n{item.text}" if long else item.title)
        if found == item.label:
            right += 1
        else:
            wrong[(item.origin, item.label, found or "?")] += 1
    return right / max(len(items), 1), wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bench", nargs="?", type=Path, default=Path(__file__).resolve().parents[1] / "../shared/bench")
    args = parser.parse_args()
    items = [*feed_items(args.bench / "feeds"), *page_items(args.bench / "extraction")]
    labels = Counter(item.label for item in items)
    print(f"{len(items)} items with a declared language: " + ", ".join(f"{k} {v}" for k, v in labels.most_common()))
    if not items:
        sys.exit("no item with a declared language under " + str(args.bench))

    shipped = LanguageDetector()
    shipped.detect("warm up")  # the model loads once; it is not what a run spends per item
    every = LanguageDetector(candidates=tuple(_all_languages()))
    every.detect("warm up")
    print(f"{'detector':<26} {'short':>6} {'long':>6}")
    for name, detector in (("97 languages", every), ("shipped candidates", shipped)):
        short, _ = score(items, detector.detect, long=False)
        long, _ = score(items, detector.detect, long=True)
        print(f"{name:<26} {short:6.3f} {long:6.3f}")

    started = time.perf_counter()
    short, short_wrong = score(items, shipped.detect, long=False)
    middle = time.perf_counter()
    long, long_wrong = score(items, shipped.detect, long=True)
    short_ms, long_ms = ((b - a) / len(items) * 1e6 for a, b in ((started, middle), (middle, time.perf_counter())))
    print(f"time per 1,000 items: {short_ms:.0f} ms from titles, {long_ms:.0f} ms from title and text")
    for kind, wrong in (("short", short_wrong), ("long", long_wrong)):
        print(f"\ndisagreements, {kind} text ({sum(wrong.values())}): origin, declared, detected")
        for (origin, label, found), count in wrong.most_common(15):
            print(f"  {count:4d}  {origin}  {label} -> {found}")
    print(f"\nitems={len(items)} accuracy={long:.3f} short_accuracy={short:.3f} ms_per_1000={long_ms:.0f}")


def _all_languages() -> list[str]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    labels: list[str] = LanguageIdentifier.from_model_file(MODEL_FILE).labels
    return labels


if __name__ == "__main__":
    main()
