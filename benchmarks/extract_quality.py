"""Article text extraction quality: token F1 against Mozilla Readability's expected article text.

Usage: python benchmarks/extract_quality.py ../shared/bench/extraction/readability-test-pages/

Runs every extractor digest can use on each ``source.html`` and compares the words of its output with
the words of ``expected.html`` (bag-of-tokens precision/recall/F1, macro-averaged over pages). The last
line is ``pages=N <extractor>_f1=… …``.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from digest.textutil import html_to_text, main_text

_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> Counter[str]:
    return Counter(t.lower() for t in _TOKEN.findall(text))


def f1(got: str, want: str) -> tuple[float, float, float]:
    g, w = tokens(got), tokens(want)
    common = sum((g & w).values())
    if not common:
        return 0.0, 0.0, 0.0
    p, r = common / sum(g.values()), common / sum(w.values())
    return p, r, 2 * p * r / (p + r)


def extractors() -> dict[str, Callable[[str], str]]:
    found: dict[str, Callable[[str], str]] = {
        "visible": html_to_text,
        "fallback": lambda page: main_text(page, library=False),
        "digest": main_text,
    }
    try:
        import trafilatura
    except ImportError:
        return found

    def plain_trafilatura(markup: str) -> str:
        return trafilatura.extract(markup, include_comments=False, favor_recall=True) or ""

    found["trafilatura"] = plain_trafilatura
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    pages = sorted(p for p in args.folder.rglob("source.html") if (p.parent / "expected.html").is_file())
    if not pages:
        print(f"no source.html/expected.html pairs under {args.folder}", file=sys.stderr)
        return 1
    figures: list[str] = [f"pages={len(pages)}"]
    for name, extract in extractors().items():
        scores = []
        start = time.perf_counter()
        for page in pages:
            source = page.read_text(encoding="utf-8", errors="replace")
            expected = html_to_text((page.parent / "expected.html").read_text(encoding="utf-8", errors="replace"))
            scores.append(f1(extract(source), expected))
        elapsed = time.perf_counter() - start
        p, r, f = (sum(s[i] for s in scores) / len(scores) for i in range(3))
        print(f"{name:12s} precision={p:.3f} recall={r:.3f} f1={f:.3f} seconds={elapsed:.1f}")
        figures.append(f"{name}_f1={f:.3f}")
    print(" ".join(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
