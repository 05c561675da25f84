"""Copies from one source: real links wrapped and re-queried must fold back, distinct articles must not.

    python benchmarks/copies_quality.py ../shared/bench/clustering/uci-headlines --feeds ../shared/bench/feeds

For each labelled corpus (``DIR/articles.jsonl``): first the corpus as it is, through
``dedupe.collapse_copies`` — every copy it finds whose gold story differs from its article's is a
wrong merge. A folder of feeds (``--feeds``, every feed file under it parsed as a run would, each its
own source) has no story labels: its copies are counted, not judged. Then each titled article with
a link gets one copy from its own source under the same title, an hour later, its link changed the
way feeds and shares change links, the kinds in turn: a Google News wrapper, a Google redirect
(``url?q=``), a Facebook one (``l.php?u=``), a campaign query, an AMP cache path, a short link.
Recall is the share of those copies folded into their own article; a copy folded into any other
article is a wrong merge. Last line: ``articles=… copies=… recall=… wrong=… real_copies=…
real_wrong=…`` over every corpus given.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _labelled import read_labelled

from digest.dedupe import collapse_copies
from digest.errors import DigestError
from digest.models import Article
from digest.sources.feeds import parse_feed

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _variants(url: str, n: int) -> str:
    parts = urlsplit(url)
    joiner = "&" if parts.query else "?"
    kinds = (
        f"https://news.google.com/news/url?sa=t&fd=R&url={quote(url, safe='')}&usg=AFQjCNE",
        f"https://www.google.com/url?q={quote(url, safe='')}&sa=D&ust=1",
        f"https://l.facebook.com/l.php?u={quote(url, safe='')}&h=AT0x",
        f"{url}{joiner}CMP=share_btn_tw",
        f"https://www.google.com/amp/s/{parts.netloc}{parts.path}" + (f"?{parts.query}" if parts.query else ""),
        f"https://t.co/c{n:06d}",
    )
    return kinds[n % len(kinds)]


def read_feeds(folder: Path) -> tuple[list[Article], list[str]]:
    """Every article of every feed file under ``folder``, each feed its own source; ids made unique."""
    articles: list[Article] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.stat().st_size < 5_000_000):
        try:
            found = parse_feed(path.read_bytes(), location=str(path), name=str(path.relative_to(folder)), now=NOW)
        except DigestError:
            continue
        articles += [replace(a, id=f"{path}#{n}:{a.id}") for n, (a, _) in enumerate(found)]
    return articles, [a.id for a in articles]  # unlabelled: every article its own story


def measure(articles: list[Article], stories: list[str]) -> dict[str, int]:
    story = {a.id: s for a, s in zip(articles, stories, strict=True)}
    real = [(c.article_id, a.id) for a in collapse_copies(articles) for c in a.copies]
    real_wrong = sum(1 for copy, kept in real if story[copy] != story[kept])
    made: list[Article] = []
    original: dict[str, str] = {}
    # An untitled article (the parser's "(untitled)") is never taken for a copy: nothing says two links are one article.
    titled = (a for a in articles if a.url.startswith(("http://", "https://")) and a.title not in ("", "(untitled)"))
    for n, article in enumerate(titled):
        copy = replace(article, id=f"copy:{article.id}", url=_variants(article.url, n))
        made.append(replace(copy, published=article.published + timedelta(hours=1)))
        original[copy.id] = article.id
    folded = {c.article_id: a.id for a in collapse_copies([*articles, *made]) for c in a.copies}
    found = sum(1 for c, a in original.items() if folded.get(c) == a)
    wrong = sum(1 for c, a in folded.items() if c in original and original[c] != a)
    wrong += sum(1 for c, a in folded.items() if c not in original and story.get(c) != story.get(a))
    return {
        "articles": len(articles),
        "copies": len(made),
        "found": found,
        "wrong": wrong,
        "real_copies": len(real),
        "real_wrong": real_wrong,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", nargs="*", type=Path, help="folders holding articles.jsonl")
    parser.add_argument("--feeds", type=Path, action="append", default=[], help="a folder of feed files")
    args = parser.parse_args(argv)
    total: dict[str, int] = {}
    inputs = [(f, read_labelled(f)[:2]) for f in args.corpora] + [(f, read_feeds(f)) for f in args.feeds]
    for folder, (articles, stories) in inputs:
        figures = measure(articles, stories)
        recall = figures["found"] / max(figures["copies"], 1)
        print(f"{folder.name}: " + " ".join(f"{k}={v}" for k, v in figures.items()) + f" recall={recall:.3f}")
        for key, value in figures.items():
            total[key] = total.get(key, 0) + value
    recall = total["found"] / max(total["copies"], 1)
    print(
        f"articles={total['articles']} copies={total['copies']} recall={recall:.3f} wrong={total['wrong']} "
        f"real_copies={total['real_copies']} real_wrong={total['real_wrong']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
