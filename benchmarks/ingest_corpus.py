"""Ingest a corpus of feed files through the source stage, the code path of a real run.

Usage: python benchmarks/ingest_corpus.py ../shared/bench/feeds/

Every file under DIR that looks like a feed (by extension: .xml .rss .atom .rdf .json .feed, or by
sniffing the first bytes of files without one) becomes a ``path =`` source of one config, and
:func:`digest.sources.gather` reads them all. A file that yields no article is *reported*: it
must come with a problem line naming it (the run's report), or be an empty but valid feed, which
is listed here by name. ``crashed`` counts sources that failed with an unexpected error (a bug).
Last line: ``files=N parsed=P reported=R crashed=C``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from digest.config import Config, FetchConfig, SourceConfig
from digest.sources import gather

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FEED_SUFFIXES = {".xml", ".rss", ".atom", ".rdf", ".json", ".feed"}
SKIP_NAMES = {"license", "readme", "source", "copying"}


def looks_like_feed(path: Path) -> bool:
    if path.stem.lower() in SKIP_NAMES:
        return False
    if path.suffix.lower() in FEED_SUFFIXES:
        return True
    if path.suffix:
        return False
    with path.open("rb") as handle:
        head = handle.read(512).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf", b"{"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--list", type=int, default=20, help="how many reported files to name (all: -1)")
    args = parser.parse_args()
    files = sorted(p.resolve() for p in args.folder.rglob("*") if p.is_file() and looks_like_feed(p))
    if not files:
        print(f"no feed files under {args.folder}", file=sys.stderr)
        return 1
    config = Config(sources=tuple(SourceConfig(path=str(p)) for p in files), fetch=FetchConfig())
    start = time.perf_counter()
    gathered = gather(config, now=NOW)
    elapsed = time.perf_counter() - start
    per_file = Counter(a.feed_url for a in gathered.articles)
    problems = {p.source: p for p in gathered.problems}
    crashed = [p for p in gathered.problems if p.message.startswith("unexpected error")]
    parsed = [f for f in files if per_file[str(f)]]
    reported = [f for f in files if not per_file[str(f)]]
    silent = [f for f in reported if str(f) not in problems]
    reasons = Counter(problems[str(f)].message.split(":")[0] for f in reported if str(f) in problems)
    print(f"{len(files)} files, {len(gathered.articles)} articles in {elapsed:.1f}s")
    for reason, count in reasons.most_common(12):
        print(f"  {count:5d}  {reason}")
    print(f"  {len(silent):5d}  valid feed with no items")
    shown = reported if args.list < 0 else reported[: args.list]
    for path in shown:
        problem = problems.get(str(path))
        print(f"  reported: {path.relative_to(args.folder.resolve())}: {problem.message if problem else 'no items'}")
    for problem in crashed:
        print(f"  CRASH: {problem}")
    print(f"files={len(files)} parsed={len(parsed)} reported={len(reported)} crashed={len(crashed)}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
