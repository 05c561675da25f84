"""Crash consistency of the weekly run: kill the real CLI with SIGKILL at chosen stages, re-run, count.

Each trial is one week: new articles appear in three feeds on a loopback HTTP server, the real
``digest run`` is started as a subprocess against them and a loopback SMTP server (aiosmtpd), and it
is killed with SIGKILL at one stage: while reading the sources, while rendering, right after the pending issue
was stored, just before connecting to SMTP, in the middle of the SMTP transaction, right after the
server accepted the message (before the run could record that), or while writing the site. The
stage is recognised from the run's own ``-v`` progress lines (``stage: …``) or, for the two SMTP
stages, inside the SMTP server; a random delay of up to ``--jitter`` seconds follows. After each kill
the state store is checked (SQLite integrity and the outbox invariants), then the run is repeated
until it completes. Across all trials, from what the SMTP server received:

- lost: articles some recipient never received,
- duplicated: articles that arrived in two different digests (two Message-IDs),
- corrupt: store checks that failed after a kill,
- resent: copies a recipient received of a message (same Message-ID) they already had, which the
  outbox allows by design after a kill between the server's acceptance and the store write.

Usage: python benchmarks/crash_consistency.py --runs 200 [--seed 1] [--stages smtp,accepted]
The last line is ``runs=N lost=L duplicated=D corrupt=C resent=R``; exits 1 unless L, D and C are 0.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from email.utils import format_datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

# The digest beside this script, not whichever one is installed (its schema is what the store must reach).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digest.store import MIGRATIONS

STAGES = ("gather", "render", "pending", "send", "smtp", "accepted", "publish")
RECIPIENTS = ("ann@example.org", "bob@example.org")
FEEDS = ("alpha", "beta", "gamma")
PER_WEEK = 6
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# Lists every article a digest carries, so the SMTP side can tell which articles each message held.
TEXT_TEMPLATE = "{% for id in digest.article_ids %}ARTICLE {{ id }}\n{% endfor %}"
SYLLABLES = [a + b for a in "bdfgklmnprstvz" for b in ("a", "e", "i", "o", "u", "ai", "ou", "en", "ar")]


@dataclass
class Received:
    message_id: str
    recipients: tuple[str, ...]
    articles: tuple[str, ...]


@dataclass
class Harness:
    """The servers' shared view of the trial in progress."""

    rng: random.Random
    jitter: float
    received: list[Received] = field(default_factory=list)
    child: subprocess.Popen[str] | None = None
    target: str = ""
    killed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def kill(self) -> None:
        with self.lock:
            if self.child is not None and not self.killed and self.child.poll() is None:
                self.child.send_signal(signal.SIGKILL)
                self.killed = True


class SmtpHandler:
    def __init__(self, harness: Harness) -> None:
        self.harness = harness

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        h = self.harness
        await asyncio.sleep(h.rng.uniform(0, 0.03))
        if h.target == "smtp":
            h.kill()
            return "451 connection going away"
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        text = message.get_body(("plain",))
        body = text.get_content() if text is not None else ""
        # An id from a GUID is scoped to its feed ("<feed>#guid:<guid>"): the GUID is what was published.
        articles = tuple(a.rpartition("#guid:")[2] for a in re.findall(r"^ARTICLE (\S+)", body, re.M))
        h.received.append(Received(str(message["Message-ID"]), tuple(envelope.rcpt_tos), articles))
        if h.target == "accepted":
            h.kill()
        return "250 accepted"


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(SYLLABLES) + rng.choice(SYLLABLES) for _ in range(n))


def write_feeds(root: Path, items: dict[str, list[tuple[str, datetime, str, str]]], port: int) -> None:
    for feed, entries in items.items():
        parts = [
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
            f"<title>{feed}</title><link>http://127.0.0.1:{port}/</link><description>{feed}</description>",
        ]
        for guid, published, title, text in entries:
            parts.append(
                f'<item><guid isPermaLink="false">{guid}</guid><title>{title}</title>'
                f"<link>http://127.0.0.1:{port}/a/{guid}</link><pubDate>{format_datetime(published)}</pubDate>"
                f"<description>{text}</description></item>"
            )
        parts.append("</channel></rss>\n")
        tmp = root / f"{feed}.xml.tmp"
        tmp.write_text("".join(parts), encoding="utf-8")
        tmp.replace(root / f"{feed}.xml")


def write_config(work: Path, http_port: int, smtp_port: int) -> Path:
    theme = work / "theme"
    theme.mkdir()
    (theme / "digest.txt.j2").write_text(TEXT_TEMPLATE, encoding="utf-8")
    sources = "".join(f'\n[[sources]]\nurl = "http://127.0.0.1:{http_port}/{f}.xml"\n' for f in FEEDS)
    config = work / "digest.toml"
    config.write_text(
        f"""
[digest]
title = "Crash Weekly"
state = "state.db"
output = "out"
theme = "theme"
{sources}
[fetch]
# The feeds are served on loopback, which a run refuses unless allowed.
allow_networks = ["127.0.0.1/32"]

[email]
sender = "Crash Weekly <weekly@example.org>"
to = {list(RECIPIENTS)!r}

[email.smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
timeout = 10

[site]
dir = "site"
""".replace("'", '"'),
        encoding="utf-8",
    )
    return config


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_http(root: Path) -> ThreadingHTTPServer:
    class Slow(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            time.sleep(0.02)  # slow enough that a kill can land mid-fetch
            super().do_GET()

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a client killed mid-response is the point of the exercise

    httpd = Server(("127.0.0.1", 0), partial(Slow, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def run_cli(harness: Harness, config: Path, now: datetime, target: str) -> int:
    """One ``digest run``; killed at ``target`` if that stage comes. Returns the exit code (-9 if killed)."""
    command = [sys.executable, "-m", "digest.cli", "-v", "run", "--config", str(config), "--now", now.isoformat()]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    with harness.lock:
        harness.child, harness.target, harness.killed = child, target, False
    assert child.stderr is not None
    for line in child.stderr:
        if target and f"stage: {target}" in line and target not in ("smtp", "accepted"):
            time.sleep(harness.rng.uniform(0, harness.jitter))
            harness.kill()
        elif "Traceback" in line or line.startswith("Error"):
            sys.stderr.write(line)
    code = child.wait()
    child.stderr.close()
    with harness.lock:
        harness.child, harness.target = None, ""
    return code


def store_problems(path: Path) -> list[str]:
    """What is wrong with the store at ``path``; empty when it is sound."""
    if not path.exists():
        return []
    db = sqlite3.connect(path)
    try:
        problems = [] if db.execute("PRAGMA integrity_check").fetchone()[0] == "ok" else ["integrity_check failed"]
        version = db.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
        if version != MIGRATIONS[-1].version:
            return [*problems, f"schema at {version}"]
        orphans = db.execute(
            "SELECT COUNT(*) FROM seen WHERE digest_id NOT IN (SELECT id FROM issues WHERE state = 'sent')"
        ).fetchone()[0]
        if orphans:
            problems.append(f"{orphans} seen articles without a sent issue")
        bad = db.execute(
            "SELECT COUNT(*) FROM issues WHERE state = 'pending' AND (message = '' OR id NOT IN "
            "(SELECT digest_id FROM deliveries))"
        ).fetchone()[0]
        if bad:
            problems.append(f"{bad} pending issues without message or recipients")
        return problems
    except sqlite3.Error as exc:
        return [f"unreadable: {exc}"]
    finally:
        db.close()


def trial_targets(rng: random.Random, stages: tuple[str, ...], runs: int) -> list[str]:
    """Every stage equally often, in a random order."""
    targets: list[str] = []
    while len(targets) < runs:
        batch = list(stages)
        rng.shuffle(batch)
        targets.extend(batch)
    return targets[:runs]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200, help="trials: weeks, each killed once then completed")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stages", default=",".join(STAGES), help="kill points, comma-separated")
    parser.add_argument("--jitter", type=float, default=0.05, help="random delay after the stage, in seconds")
    args = parser.parse_args(argv)
    stages = tuple(s for s in args.stages.split(",") if s)
    unknown = set(stages) - set(STAGES)
    if unknown:
        parser.error(f"unknown stages {sorted(unknown)}; choose from {', '.join(STAGES)}")
    rng = random.Random(args.seed)
    harness = Harness(rng=random.Random(args.seed + 1), jitter=args.jitter)
    work = Path(tempfile.mkdtemp(prefix="digest-crash-"))
    served = work / "served"
    served.mkdir()
    httpd = start_http(served)
    smtp_port = free_port()
    smtp = Controller(SmtpHandler(harness), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    try:
        return _trials(args, rng, harness, work, served, httpd.server_address[1], smtp_port, stages)
    finally:
        smtp.stop()
        httpd.shutdown()
        httpd.server_close()
        shutil.rmtree(work, ignore_errors=True)


def _trials(
    args: argparse.Namespace,
    rng: random.Random,
    harness: Harness,
    work: Path,
    served: Path,
    http_port: int,
    smtp_port: int,
    stages: tuple[str, ...],
) -> int:
    config = write_config(work, http_port, smtp_port)
    items: dict[str, list[tuple[str, datetime, str, str]]] = {f: [] for f in FEEDS}
    published: list[str] = []
    kills: collections.Counter[str] = collections.Counter()
    reruns = corrupt = 0
    started = time.monotonic()
    for week, target in enumerate(trial_targets(rng, stages, args.runs), start=1):
        now = START + timedelta(days=7 * week)
        for n in range(PER_WEEK):
            guid = f"crash-{week}-{n}"
            when = now - timedelta(days=6, hours=12) + timedelta(hours=rng.uniform(0, 150))
            items[FEEDS[n % len(FEEDS)]].append((guid, when, _words(rng, 4).title(), _words(rng, 60)))
            published.append(guid)
        write_feeds(served, items, http_port)
        code = run_cli(harness, config, now, target)
        if code == -signal.SIGKILL:
            kills[target] += 1
            problems = store_problems(work / "state.db")
            if problems:
                corrupt += 1
                print(f"week {week}: corrupt store after a kill at {target}: {'; '.join(problems)}", file=sys.stderr)
        attempts = 0
        while code != 0:
            attempts += 1
            if attempts > 5:
                print(f"week {week}: still failing (exit {code}) after 5 re-runs", file=sys.stderr)
                break
            code = run_cli(harness, config, now, "")
            reruns += 1
    return _tally(args.runs, harness.received, published, kills, reruns, corrupt, time.monotonic() - started)


def _tally(
    runs: int,
    received: list[Received],
    published: list[str],
    kills: collections.Counter[str],
    reruns: int,
    corrupt: int,
    elapsed: float,
) -> int:
    got: dict[str, set[str]] = {r: set() for r in RECIPIENTS}
    digests_of: dict[str, set[str]] = collections.defaultdict(set)
    copies: collections.Counter[tuple[str, str]] = collections.Counter()
    for message in received:
        for recipient in message.recipients:
            got[recipient].update(message.articles)
            copies[(message.message_id, recipient)] += 1
        for article in message.articles:
            digests_of[article].add(message.message_id)
    lost = sum(1 for a in published if any(a not in got[r] for r in RECIPIENTS))
    duplicated = sum(1 for ids in digests_of.values() if len(ids) > 1)
    resent = sum(n - 1 for n in copies.values())
    print(f"trials: {runs} weeks, {len(published)} articles, {len(received)} messages received")
    print("kills by stage: " + ", ".join(f"{s}={kills[s]}" for s in STAGES if s in kills) or "none")
    print(f"re-runs to completion: {reruns}; elapsed {elapsed:.0f} s")
    print(f"runs={runs} lost={lost} duplicated={duplicated} corrupt={corrupt} resent={resent}")
    return 0 if lost == duplicated == corrupt == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
