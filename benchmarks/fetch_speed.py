"""Fetch speed: a cold and a warm (all 304) run over many feeds served from loopback with latency.

Usage: python benchmarks/fetch_speed.py --feeds 2000

Serves ``--feeds`` generated RSS feeds (``--items`` items each, gzip when asked) from a server
process listening on ``--hosts`` loopback addresses (127.0.0.1, 127.0.0.2, …) that waits a random
``--latency-ms`` (±50 %) before each answer and honours If-None-Match. Then runs the source stage
(:func:`digest.sources.gather`, the code path of a real run) against a state store: once cold (empty
store) and warm (validators saved in a SQLite state file, every answer 304). The warm runs happen in a
fresh process, as next week's cron job would, ``--warm-runs`` of them; the median counts, since a run
of two seconds is easily disturbed on a shared machine. ``parse_ratio`` is the cold run's wall time
over the time feedparser alone takes to parse the same bodies one after another: what fetching,
normalizing and the rest add on top of the parser. Last line: ``cold_s=… warm_s=… warm_speedup=…
parse_ratio=…``.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import multiprocessing
import random
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import feedparser

from digest.config import Config, FetchConfig, SourceConfig
from digest.models import Problem
from digest.sources import gather
from digest.store import open_store

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WORDS = [
    "harbor",
    "council",
    "budget",
    "river",
    "bridge",
    "school",
    "market",
    "station",
    "library",
    "storm",
    "rail",
    "festival",
    "museum",
    "garden",
    "vote",
    "ferry",
    "tunnel",
    "park",
    "theatre",
    "clinic",
    "energy",
    "water",
    "housing",
    "transit",
    "port",
    "science",
    "lab",
    "study",
    "team",
]


def make_feed(index: int, items: int) -> bytes:
    rng = random.Random(index)
    entries = []
    for n in range(items):
        title = " ".join(rng.choice(WORDS) for _ in range(7)).capitalize()
        paragraphs = "".join(
            "<p>" + " ".join(rng.choice(WORDS) for _ in range(40)) + ".</p>" for _ in range(rng.randint(2, 4))
        )
        when = format_datetime(NOW - timedelta(hours=n * 3 + rng.randint(0, 2)))
        entries.append(
            f"<item><title>{title}</title><link>https://news{index}.example/story/{n}?utm_source=rss</link>"
            f'<guid isPermaLink="false">feed{index}-item{n}</guid><pubDate>{when}</pubDate>'
            f"<category>Local</category><description><![CDATA[{paragraphs}]]></description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Generated feed {index}</title><link>https://news{index}.example/</link>"
        f"<description>Feed number {index}</description><language>en</language>{''.join(entries)}"
        "</channel></rss>"
    ).encode()


def serve(hosts: list[str], port: int, feeds: int, items: int, latency: float, ready: multiprocessing.Event) -> None:
    serve_bodies(hosts, port, {f"/feed/{i}.xml": make_feed(i, items) for i in range(feeds)}, latency, ready)


def serve_bodies(
    hosts: list[str], port: int, bodies: dict[str, bytes], latency: float, ready: multiprocessing.Event
) -> None:
    """Serve ``bodies`` by path (gzip when asked, ETags honoured) after a random ``latency`` (±50 %)."""
    zipped = {path: gzip.compress(body, 6) for path, body in bodies.items()}
    etags = {path: '"' + hashlib.sha1(body).hexdigest()[:16] + '"' for path, body in bodies.items()}
    rng = random.Random(7)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
                await asyncio.sleep(latency * rng.uniform(0.5, 1.5))
                if path not in bodies:
                    writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                elif headers.get("if-none-match") == etags[path]:
                    writer.write(f"HTTP/1.1 304 Not Modified\r\nETag: {etags[path]}\r\n\r\n".encode())
                else:
                    use_gzip = "gzip" in headers.get("accept-encoding", "")
                    body = zipped[path] if use_gzip else bodies[path]
                    extra = "Content-Encoding: gzip\r\n" if use_gzip else ""
                    writer.write(
                        f"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n{extra}"
                        f"ETag: {etags[path]}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                        + body
                    )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, hosts, port, backlog=1024)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def free_port(hosts: list[str]) -> int:
    for _ in range(20):
        with socket.socket() as probe:
            probe.bind((hosts[0], 0))
            port = int(probe.getsockname()[1])
        try:
            for host in hosts:
                with socket.socket() as other:
                    other.bind((host, port))
            return port
        except OSError:
            continue
    raise RuntimeError("no port free on every loopback address")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--hosts", type=int, default=50, help="loopback addresses to spread the feeds over")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument(
        "--warm-runs", type=int, default=3, help="warm runs to take the median of (a short run is easily disturbed)"
    )
    parser.add_argument("--parse-workers", type=int, default=1, help="fetch.parse_workers (0: one per core)")
    args = parser.parse_args()
    hosts = [f"127.0.0.{n}" for n in range(1, args.hosts + 1)]
    port = free_port(hosts)
    ready = multiprocessing.Event()
    server = multiprocessing.Process(
        target=serve, args=(hosts, port, args.feeds, args.items, args.latency_ms / 1000, ready), daemon=True
    )
    server.start()
    try:
        if not ready.wait(120):
            print("the feed server did not start", file=sys.stderr)
            return 1
        return measure(args, hosts, port)
    finally:
        server.terminate()
        server.join()


def warm_runs(config: Config, state: Path, runs: int) -> tuple[list[float], tuple[Problem, ...]]:
    times, problems = [], []
    with open_store(state) as store:
        for _ in range(runs):
            start = time.perf_counter()
            warm = gather(config, now=NOW, store=store)
            times.append(time.perf_counter() - start)
            problems.extend(warm.problems)
            if warm.articles:
                problems.append(
                    Problem("warm run", f"{len(warm.articles)} articles, expected every feed to answer 304")
                )
    return times, tuple(problems)


def measure(args: argparse.Namespace, hosts: list[str], port: int) -> int:
    urls = [f"http://{hosts[i % len(hosts)]}:{port}/feed/{i}.xml" for i in range(args.feeds)]
    # The loopback hosts stand for public feed servers: allow them, as a user allows an intranet.
    fetch = FetchConfig(parse_workers=args.parse_workers, allow_networks=("127.0.0.0/8",))
    config = Config(sources=tuple(SourceConfig(url=u) for u in urls), fetch=fetch)
    with tempfile.TemporaryDirectory() as folder:
        state = Path(folder) / "state.db"
        with open_store(state) as store:
            start = time.perf_counter()
            cold = gather(config, now=NOW, store=store)
            cold_s = time.perf_counter() - start
            with store.transaction():
                store.feeds.record(cold.feeds)
        # A warm run is next week's cron job: a fresh process that opens the saved state, not this one
        # with last run's 100,000 articles freed all over its heap.
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            warm_times, warm_problems = pool.apply(warm_runs, (config, state, args.warm_runs))
    warm_s = statistics.median(warm_times)
    bodies = [make_feed(i, args.items) for i in range(args.feeds)]
    start = time.perf_counter()
    for body in bodies:
        feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    parser_s = time.perf_counter() - start
    print(
        f"feeds={args.feeds} items_each={args.items} hosts={len(hosts)} latency_ms={args.latency_ms:g} "
        f"parse_workers={args.parse_workers}"
    )
    print(f"cold: {len(cold.articles)} articles, {len(cold.problems)} problems, {args.feeds / cold_s:.0f} feeds/s")
    print(
        f"warm: {len(warm_problems)} problems, {args.feeds / warm_s:.0f} feeds/s (in a fresh process, like a cron job)"
    )
    print(f"warm runs (the median is warm_s): {' '.join(f'{t:.2f}s' for t in warm_times)}")
    print(f"feedparser alone on the same bodies: {parser_s:.2f}s")
    for problem in (*cold.problems, *warm_problems)[:5]:
        print(f"  problem: {problem}")
    speedup, ratio = cold_s / warm_s, cold_s / parser_s
    print(f"cold_s={cold_s:.2f} warm_s={warm_s:.2f} warm_speedup={speedup:.1f} parse_ratio={ratio:.2f}")
    return 0 if not cold.problems and not warm_problems else 1


if __name__ == "__main__":
    sys.exit(main())
