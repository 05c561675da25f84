"""Crash consistency of the weekly run: kill the real CLI with SIGKILL at chosen stages, re-run, count.

Each trial is one week: new articles appear in three feeds on a loopback HTTP server, the real
``digest run`` is started as a subprocess against them and a loopback SMTP server (aiosmtpd), and it
is killed with SIGKILL at one stage: while reading the sources, while rendering, right after the pending issue
was stored, just before connecting to SMTP, in the middle of the SMTP transaction, right after the
server accepted the message (before the run could record that), while writing the site, just before
the post to the team's channel (a JSON webhook on loopback, through Apprise) or right after the
webhook took it. The stage is recognised from the run's own ``-v`` progress lines (``stage: …``) or,
for the two SMTP stages and ``posted``, inside the server; a random delay of up to ``--jitter``
seconds follows. After each kill the state store is checked (SQLite integrity and the outbox
invariants), then the run is repeated until it completes.

With ``--approval`` the digest holds each issue for approval: a week is ``digest run`` (which stores
the issue held and mails the editor a preview) and then ``digest approve ISSUE``, and a trial's one
kill lands in whichever of the two reaches its stage (``held`` and ``approve`` are kill points too).

Across all trials, from what the SMTP server and the webhook received:

- lost: articles some recipient never received,
- duplicated: articles that arrived in two different digests (two Message-IDs),
- corrupt: store checks that failed after a kill,
- resent: copies a recipient received of a message (same Message-ID) they already had, which the
  outbox allows by design after a kill between the server's acceptance and the store write,
- unposted: issues the readers got that never reached the channel,
- reposted: extra posts of an issue the channel already had (allowed after a kill at ``posted`` only),
- early: issues any reader got (or the channel saw) before they were approved (``--approval``).

Usage: python benchmarks/crash_consistency.py --runs 200 [--seed 1] [--stages smtp,accepted] [--approval]
The last line is ``runs=N lost=L duplicated=D corrupt=C resent=R unposted=U reposted=P early=E``; exits 1
unless L, D, C, U and E are 0.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
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

STAGES = ("gather", "render", "pending", "send", "smtp", "accepted", "publish", "post", "posted")
# Kill points that exist only when issues are held for approval.
APPROVAL_STAGES = ("held", "approve")
# Stages recognised inside a server rather than from the run's progress lines.
SERVER_STAGES = ("smtp", "accepted", "posted")
EDITOR = "ed@example.org"
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
    channel: str = ""
    # The title of each post the channel webhook received ("Crash Weekly: <issue id>").
    posts: list[str] = field(default_factory=list)
    # Issue ids approved so far (None: issues are not held), and those a reader or the channel got before that.
    approved: set[str] | None = None
    early: set[str] = field(default_factory=set)
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
        if tuple(envelope.rcpt_tos) == (EDITOR,):
            return "250 preview accepted"  # the editor's preview: no reader's copy
        received = Received(str(message["Message-ID"]), tuple(envelope.rcpt_tos), articles)
        if h.approved is not None and _issue_of(received.message_id) not in h.approved:
            h.early.add(_issue_of(received.message_id))
        h.received.append(received)
        if h.target == "accepted":
            h.kill()
        return "250 accepted"


def _issue_of(message_id: str) -> str:
    """The issue id a Message-ID was made from (``<2026-W02.token@domain>``)."""
    return message_id.strip("<>").rpartition("@")[0].rpartition(".")[0]


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


def write_config(work: Path, http_port: int, smtp_port: int, *, approval: bool = False) -> Path:
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
approval = {str(approval).lower()}
{sources}
[fetch]
# The feeds are served on loopback, which a run refuses unless allowed.
allow_networks = ["127.0.0.1/32"]

[email]
sender = "Crash Weekly <weekly@example.org>"
to = {list(RECIPIENTS)!r}
editors = ["{EDITOR}"]

[email.smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
timeout = 10

[site]
dir = "site"

[[channels]]
name = "team"
url_env = "DIGEST_CRASH_CHANNEL"
""".replace("'", '"'),
        encoding="utf-8",
    )
    return config


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_http(root: Path, harness: Harness) -> ThreadingHTTPServer:
    class Slow(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            time.sleep(0.02)  # slow enough that a kill can land mid-fetch
            super().do_GET()

        def do_POST(self) -> None:
            """The team channel's webhook: records the post, then dies with the run if that is the stage."""
            post = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            title = str(post.get("title", ""))
            with harness.lock:
                harness.posts.append(title)
                issue = title.rpartition(": ")[2]
                if harness.approved is not None and issue not in harness.approved:
                    harness.early.add(issue)
            if harness.target == "posted":
                harness.kill()
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a client killed mid-response is the point of the exercise

    httpd = Server(("127.0.0.1", 0), partial(Slow, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def run_cli(harness: Harness, config: Path, now: datetime, target: str, *, approve: str = "") -> int:
    """One ``digest run`` (or ``digest approve ISSUE``); killed at ``target`` if that stage comes.

    Returns the exit code (-9 if killed).
    """
    action = ["approve", approve] if approve else ["run"]
    command = [sys.executable, "-m", "digest.cli", "-v", *action, "--config", str(config), "--now", now.isoformat()]
    env = {**os.environ, "DIGEST_CRASH_CHANNEL": harness.channel}
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    with harness.lock:
        harness.child, harness.target, harness.killed = child, target, False
    assert child.stderr is not None
    for line in child.stderr:
        if target and f"stage: {target}" in line and target not in SERVER_STAGES:
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
        waiting = db.execute(
            "SELECT COUNT(*) FROM channel_posts WHERE state = 'pending' AND digest_id IN "
            "(SELECT id FROM issues WHERE state = 'sent')"
        ).fetchone()[0]
        if waiting:
            problems.append(f"{waiting} channel posts still pending for a sent issue")
        stray = db.execute("SELECT COUNT(*) FROM channel_posts WHERE digest_id NOT IN (SELECT id FROM issues)")
        if stray.fetchone()[0]:
            problems.append("channel posts without their issue")
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
    parser.add_argument("--stages", default="", help="kill points, comma-separated (default: every one)")
    parser.add_argument("--approval", action="store_true", help="hold each issue; approve it with digest approve")
    parser.add_argument("--jitter", type=float, default=0.05, help="random delay after the stage, in seconds")
    args = parser.parse_args(argv)
    known = STAGES + APPROVAL_STAGES if args.approval else STAGES
    stages = tuple(s for s in args.stages.split(",") if s) or known
    unknown = set(stages) - set(known)
    if unknown:
        parser.error(f"unknown stages {sorted(unknown)}; choose from {', '.join(known)}")
    rng = random.Random(args.seed)
    harness = Harness(rng=random.Random(args.seed + 1), jitter=args.jitter)
    harness.approved = set() if args.approval else None
    work = Path(tempfile.mkdtemp(prefix="digest-crash-"))
    served = work / "served"
    served.mkdir()
    httpd = start_http(served, harness)
    harness.channel = f"json://127.0.0.1:{httpd.server_address[1]}/team-hook"
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
    config = write_config(work, http_port, smtp_port, approval=args.approval)
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
        issue = f"{now.isocalendar()[0]}-W{now.isocalendar()[1]:02d}"
        steps = [""] + ([issue] if args.approval else [])
        for approve in steps:  # the run, then (--approval) the approval; the trial's one kill in the first to reach it
            if approve and harness.approved is not None:
                harness.approved.add(issue)
            code = run_cli(harness, config, now, target, approve=approve)
            if code == -signal.SIGKILL:
                kills[target] += 1
                target = ""
                problems = store_problems(work / "state.db")
                if problems:
                    corrupt += 1
                    print(f"week {week}: corrupt store after a kill: {'; '.join(problems)}", file=sys.stderr)
            attempts = 0
            while code != 0:
                attempts += 1
                if attempts > 5:
                    print(f"week {week}: still failing (exit {code}) after 5 re-runs", file=sys.stderr)
                    break
                code = run_cli(harness, config, now, "", approve=approve)
                reruns += 1
    return _tally(args.runs, harness, published, kills, reruns, corrupt, time.monotonic() - started)


def _tally(
    runs: int,
    harness: Harness,
    published: list[str],
    kills: collections.Counter[str],
    reruns: int,
    corrupt: int,
    elapsed: float,
) -> int:
    received = harness.received
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
    posts = collections.Counter(title.rpartition(": ")[2] for title in harness.posts)
    unposted = len({_issue_of(m.message_id) for m in received} - set(posts))
    reposted = sum(n - 1 for n in posts.values())
    early = len(harness.early)
    print(
        f"trials: {runs} weeks, {len(published)} articles, {len(received)} messages received, "
        f"{len(harness.posts)} posts"
    )
    print(
        "kills by stage: " + ", ".join(f"{s}={kills[s]}" for s in (*STAGES, *APPROVAL_STAGES) if s in kills) or "none"
    )
    print(f"re-runs to completion: {reruns}; elapsed {elapsed:.0f} s")
    print(
        f"runs={runs} lost={lost} duplicated={duplicated} corrupt={corrupt} resent={resent} "
        f"unposted={unposted} reposted={reposted} early={early}"
    )
    return 0 if lost == duplicated == corrupt == unposted == early == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
