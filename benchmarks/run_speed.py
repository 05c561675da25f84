"""A whole weekly run at scale, as cron runs it: fetch → … → render → outbox → site, in a fresh process and store.

    python benchmarks/run_speed.py --articles 10000 100000

For each size, ``articles / --items`` feeds of ``--items`` items (generated news-like weeks, as
``cluster_speed.py`` makes them: stories of 1 to ~40 articles, wire copies) are served gzip-encoded from
a server process on ``--hosts`` loopback addresses. A fresh state store and ``digest run -v`` in a fresh
process (the command line, with full-page extraction off) then do the whole week: fetch, extract,
dedupe, cluster, summarize, rank, render, the outbox and the static site. Per-stage seconds come from
the run's own ``stage …: N s`` log lines; peak RSS is the run process's own (getrusage). ``parse_s`` is
feedparser alone parsing the same bodies one after another in this process, and ``ratio`` is the run's
wall time over it: what everything else costs on top of parsing. Last line, for the largest size:
``n=… seconds=… peak_mb=… parse_s=… ratio=…``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import resource
import subprocess
import sys
import tempfile
import time
from email.utils import format_datetime
from html import escape
from pathlib import Path

import feedparser

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cluster_speed import END, generate
from fetch_speed import free_port, serve_bodies

from digest.models import Article

STAGE = re.compile(r"stage (?P<name>[a-z_ ]+): (?P<seconds>\d+\.\d+) s")


def feed_bodies(articles: int, items: int, seed: int) -> dict[str, bytes]:
    """One RSS document per ``items`` generated articles, keyed by the path it is served at."""
    week = generate(articles, seed)
    return {
        f"/feed/{n}.xml": _rss(n, week[start : start + items]) for n, start in enumerate(range(0, len(week), items))
    }


def _rss(number: int, articles: list[Article]) -> bytes:
    entries = "".join(
        f"<item><title>{escape(a.title)}</title><link>{a.url}?utm_source=rss</link>"
        f'<guid isPermaLink="false">{a.id}</guid><pubDate>{format_datetime(a.published)}</pubDate>'
        f"<description>{escape(''.join(f'<p>{p}</p>' for p in a.text.split('. ')))}</description></item>"
        for a in articles
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Outlet {number}</title>'
        f"<link>https://outlet{number}.example/</link><description>Feed {number}</description>{entries}"
        "</channel></rss>"
    ).encode()


def write_config(folder: Path, urls: list[str]) -> Path:
    sources = "".join(f'\n[[sources]]\nurl = "{url}"\n' for url in urls)
    config = folder / "digest.toml"
    config.write_text(
        f"""[digest]
title = "Run Speed Weekly"
state = "state/digest.db"
output = "output"

[fetch]
allow_networks = ["127.0.0.0/8"]

[email]
sender = "Run Speed Weekly <weekly@example.org>"
to = ["reader@example.org"]
outbox = "output/outbox"

[site]
dir = "site"
{sources}""",
        encoding="utf-8",
    )
    return config


def measure(articles: int, items: int, hosts: int, seed: int) -> dict[str, float]:
    bodies = feed_bodies(articles, items, seed)
    addresses = [f"127.0.0.{n + 1}" for n in range(hosts)]
    port = free_port(addresses)
    ready = multiprocessing.get_context("fork").Event()
    server = multiprocessing.get_context("fork").Process(
        target=serve_bodies, args=(addresses, port, bodies, 0.0, ready), daemon=True
    )
    server.start()
    ready.wait(60)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            urls = [f"http://{addresses[n % hosts]}:{port}{path}" for n, path in enumerate(bodies)]
            config = write_config(Path(tmp), urls)
            command = [sys.executable, "-m", "digest.cli", "-v", "run", "--config", str(config)]
            command += ["--now", END.isoformat()]
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            started = time.perf_counter()
            result = subprocess.run(command, capture_output=True, text=True, check=False)
            seconds = time.perf_counter() - started
            peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            if result.returncode != 0:
                sys.exit(f"digest run failed ({result.returncode}):\n{result.stdout}\n{result.stderr[-4000:]}")
            stages = {m["name"]: float(m["seconds"]) for m in STAGE.finditer(result.stderr)}
    finally:
        server.terminate()
        server.join()
    started = time.perf_counter()
    parsed = sum(len(feedparser.parse(body).entries) for body in bodies.values())
    parse_s = time.perf_counter() - started
    assert parsed == articles, (parsed, articles)
    if peak_kb <= before:
        print("note: the run's peak RSS is not above an earlier process's; peak_mb is an upper bound")
    stage_line = " ".join(f"{name.replace(' ', '_')}_s={value:.2f}" for name, value in stages.items())
    print(f"n={articles} feeds={len(bodies)} {stage_line}")
    return {"seconds": seconds, "peak_mb": peak_kb / 1024, "parse_s": parse_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, nargs="+", default=[100_000])
    parser.add_argument("--items", type=int, default=50, help="items per feed")
    parser.add_argument("--hosts", type=int, default=50, help="loopback addresses the feeds are spread over")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    figures: dict[str, float] = {}
    # Smallest first: getrusage gives the largest peak of any finished child, which is then this size's own.
    for articles in sorted(args.articles):
        figures = measure(articles, args.items, min(args.hosts, max(1, articles // args.items)), args.seed)
        ratio = figures["seconds"] / figures["parse_s"]
        print(
            f"n={articles} seconds={figures['seconds']:.1f} peak_mb={figures['peak_mb']:.0f} "
            f"parse_s={figures['parse_s']:.1f} ratio={ratio:.2f}"
        )


if __name__ == "__main__":
    main()
