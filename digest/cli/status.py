"""`digest status` and `digest feeds`: what the state store holds, and ending a feed's quarantine."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import timedelta

from ..config import load_config
from ..errors import DigestError
from ..escape import terminal_text
from ..store import FeedHealth, StoreStatus
from .common import open_scoped, utc_now, writing

__all__ = ["feeds", "status"]


def status(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    with open_scoped(config, readonly=True) as store:
        print(f"digest: {config.digest.key}")
        fetch = config.fetch
        found = store.status(
            runs=args.runs, quarantine_after=fetch.quarantine_after, stale_days=fetch.stale_days, now=utc_now()
        )
        _print_status(found)
    now = utc_now()
    for held in found.held:
        if now - held.held_at > timedelta(days=config.digest.approval_days):
            print(
                f"Warning: {held.id} has waited for approval more than {config.digest.approval_days} days",
                file=sys.stderr,
            )
    return 0


def _print_status(status: StoreStatus) -> None:
    print(f"state store: {status.location} (schema {status.version})")
    print("  " + ", ".join(f"{table} {n}" for table, n in status.counts))
    print(f"suppressed addresses: {status.suppressed}")
    for held in status.held:
        print(
            f"held for approval: {held.id} since {held.held_at:%Y-%m-%d %H:%M} (digest approve --config FILE {held.id})"
        )
    for post in status.posts:
        print(f"  channel {post.channel}: {post.digest_id} not posted yet{': ' + post.detail if post.detail else ''}")
    print("outbox:" if status.outbox else "outbox: empty")
    for entry in status.outbox:
        waiting = ", ".join(entry.undelivered) or "nobody (the site is yet to be published)"
        print(f"  {entry.issue.id}: {len(entry.articles)} articles, waiting for {waiting}")
    print("last runs:" if status.runs else "last runs: none")
    for record in status.runs:
        r = record.report
        print(
            f"  {record.at:%Y-%m-%d %H:%M} {r.get('digest_id') or '-'} {r.get('status') or 'done'}: "
            f"{r.get('stories', 0)} stories, {len(r.get('delivered_to', []))} delivered, "
            f"{len(r.get('problems', []))} problems"
        )
    print("feeds:" if status.feeds else "feeds: no health recorded")
    _print_feeds(status.feeds)


def _print_feeds(feeds: Sequence[FeedHealth]) -> None:
    for feed in feeds:
        last = f"{feed.last_success:%Y-%m-%d %H:%M}" if feed.last_success else "never"
        if feed.quarantined:
            when = "next run" if feed.next_try == 0 else f"in {feed.next_try + 1} runs"
            flag = f" QUARANTINED{' (410 Gone)' if feed.gone else ''}, next try {when}"
        else:
            flag = ""
        if feed.stale and feed.newest_item is not None:
            flag += f" STALE: nothing new since {feed.newest_item:%Y-%m-%d}"
        error = f": {feed.error}" if feed.error and feed.consecutive_failures else ""
        line = f"  {feed.feed}: last success {last}, {feed.consecutive_failures} failures in a row{flag}{error}"
        print(terminal_text(line))


def feeds(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.action is None:
        with open_scoped(config, readonly=True) as store:
            fetch = config.fetch
            health = store.feeds.health(
                quarantine_after=fetch.quarantine_after, stale_days=fetch.stale_days, now=utc_now()
            )
        print("feeds:" if health else "feeds: no health recorded yet (run digest first)")
        _print_feeds(health)
        return 0
    if not args.name:
        raise DigestError("which feed?", hint="digest feeds revive NAME, NAME a source's name or its feed URL")
    url = next((s.url for s in config.sources if s.url and args.name in (s.name, s.url)), args.name)
    with writing(config) as store:
        if not store.feeds.revive(url):
            raise DigestError(f"no feed {args.name!r} in the state store", hint="`digest feeds` lists the feeds by URL")
    print(f"revived {url}: fetched in full next run, and every run while it works")
    return 0
