"""The ``digest`` command: each subcommand loads the config and calls one library function.

Exit codes: 0 sent and published (or nothing new, with a warning, unless ``digest.nothing_new_exit``
says otherwise); 1 a config or fatal error (``Error: …`` on stderr, including another run holding
the lock); 2 partial or failed delivery (what did not go out stays in the outbox for the next run);
3 no source could be read (every feed, file and folder failed: not "nothing new").
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .addresses import check_mailbox
from .config import Config, load_config
from .dates import iso_datetime
from .errors import ConfigError, DigestError, StoreError
from .escape import TerminalFormatter, terminal_text
from .models import RunReport
from .report import error_report, output_folder
from .scaffold import init_project
from .store import FeedHealth, Store, StoreStatus, open_store
from .store.runs import RECENT_RUNS

__all__ = ["main"]


def _now(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC).replace(microsecond=0)
    parsed = iso_datetime(value)
    if parsed is None:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r} (e.g. 2026-11-23T09:00:00Z)")
    return parsed


class _Version(argparse.Action):
    """``--version``: the version is read from the installed metadata only when asked for (it costs an import)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from . import __version__

        print(f"digest {__version__}")  # on stdout, as argparse's own version action does
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="digest", description="Weekly newsletter digests from feeds and folders.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    parser.add_argument("--version", action=_Version, nargs=0, help="print the installed release and exit")
    commands = parser.add_subparsers(dest="command", required=True)
    run_cmd = commands.add_parser("run", help="build, send and publish the week's digest")
    run_cmd.add_argument("--config", required=True, type=Path)
    run_cmd.add_argument("--now", type=_now, default=None, help="end of the week (default: now)")
    run_cmd.add_argument("--dry-run", action="store_true", help="render everything, send and mark nothing")
    run_cmd.add_argument("--explain", action="store_true", help="print each story's score and its parts")
    run_cmd.add_argument(
        "--to", default="", metavar="ADDRESS", help="send the week only to ADDRESS: a test; marks and stores nothing"
    )
    prev = commands.add_parser("preview", help="write the four renderings without touching the state store")
    prev.add_argument("--config", required=True, type=Path)
    prev.add_argument("--out", required=True, type=Path)
    prev.add_argument("--now", type=_now, default=None)
    prev.add_argument("--explain", action="store_true", help="print each story's score and its parts")
    init = commands.add_parser("init", help="write a starter digest.toml, templates/ and a GitHub workflow")
    init.add_argument("dir", nargs="?", type=Path, default=Path("."))
    init.add_argument("--force", action="store_true", help="overwrite existing files")
    init.add_argument(
        "--unsubscribe",
        default=None,
        metavar="URL_OR_ADDRESS",
        help="where readers leave: an https URL (one-click) or an address; asked for on a terminal",
    )
    init.add_argument(
        "--base-url",
        metavar="URL",
        help="the site's public URL, e.g. https://you.github.io/your-digest/ (asked for on a terminal)",
    )
    status = commands.add_parser("status", help="show the last runs, the outbox, feed health and store counts")
    status.add_argument("--config", required=True, type=Path)
    status.add_argument("--runs", type=int, default=RECENT_RUNS, help="how many recent runs to show")
    forget = commands.add_parser("forget", help="remove articles from 'seen' so a later digest may carry them again")
    forget.add_argument("--config", required=True, type=Path)
    forget.add_argument("--id", action="append", default=[], dest="ids", help="an article id (repeatable)")
    forget.add_argument("--source", default="", help="every article from this source")
    forget.add_argument("--digest", default="", help="every article sent in this issue, e.g. 2026-W48")
    forget.add_argument("--since", type=_now, default=None, help="sent at or after this time")
    forget.add_argument("--until", type=_now, default=None, help="sent before this time")
    feeds = commands.add_parser("feeds", help="list each feed's health; `feeds revive NAME` ends a quarantine")
    feeds.add_argument("action", nargs="?", choices=["revive"], help="revive: try the feed every run again")
    feeds.add_argument("name", nargs="?", default="", help="the source's name or its feed URL")
    feeds.add_argument("--config", required=True, type=Path)
    unsubscribe = commands.add_parser("unsubscribe", help="never mail ADDRESS again, even while it is in email.to")
    unsubscribe.add_argument("address", nargs="+", metavar="ADDRESS")
    unsubscribe.add_argument("--config", required=True, type=Path)
    unsubscribe.add_argument("--undo", action="store_true", help="take ADDRESS off the suppression list")
    return parser


def _open_store(config: Config, *, readonly: bool) -> Store:
    """The state store, its queries scoped to this config's digest."""
    store = open_store(config.digest.state, base_dir=config.base_dir, readonly=readonly)
    return store.scoped(config.digest.key, shared_history=config.digest.shared_history)


@contextmanager
def _writing(config: Config) -> Iterator[Store]:
    """This digest's view of the state store under the run lock, its writes in one transaction."""
    with (
        open_store(config.digest.state, base_dir=config.base_dir) as opened,
        opened.session(config.digest.key, shared_history=config.digest.shared_history) as store,
        store.transaction(),
    ):
        yield store


def _print_report(report: RunReport) -> None:
    for problem in report.problems:
        print(terminal_text(f"Warning: {problem}"), file=sys.stderr)
    for digest_id in report.resent:
        print(f"{digest_id}: finished from the outbox (a previous run did not complete it)")
    print(
        f"{report.digest_id}: {report.articles_gathered} articles gathered, {report.articles_new} new, "
        f"{report.stories} stories"
    )
    if report.window_start is not None:
        print(f"  window: {report.window_start:%Y-%m-%d %H:%M} – {report.now:%Y-%m-%d %H:%M} UTC")
    if report.skipped:
        print(f"  skipped (older than max_catch_up_days): {report.skipped}")
    if report.before_window or report.after_window:
        later = f", {report.after_window} after it (they wait for their own week)" if report.after_window else ""
        print(f"  outside the window: {report.before_window} before it{later}")
    if report.already_seen:
        print(f"  already sent: {report.already_seen}")
    if report.copies:
        print(f"  copies folded: {report.copies}")
    for rule, count in report.filtered:
        print(f"  dropped by {rule}: {count}")
    for kind, path in report.outputs:
        print(f"  {kind}: {path}")
    if report.delivered_to:
        print(f"  delivered to: {', '.join(report.delivered_to)}")
    if report.status == "sources_failed":
        print("Error: no source could be read (see the warnings above); nothing was sent", file=sys.stderr)
    elif report.status == "nothing_new":
        print("Warning: nothing new since the last digest; nothing was sent", file=sys.stderr)
    elif report.status == "partial" and report.digest_id in report.completed:
        print("Warning: some recipients were refused; everyone else has the digest", file=sys.stderr)
    elif report.needs_fix:
        print("Warning: delivery failed: fix what is named above; the issue waits in the outbox", file=sys.stderr)
    elif report.status in ("partial", "failed"):
        print(f"Warning: delivery {report.status}; the next run finishes it", file=sys.stderr)


def _print_ranking(report: RunReport) -> None:
    for place, story in enumerate(report.ranking, 1):
        update = " (update)" if story.update else ""
        print(terminal_text(f"{place:3d}. {story.score:8.2f}  [{story.section}] {story.label}{update}"))
        print("       " + " ".join(f"{name}={value:g}" for name, value in story.parts))


# What a terminal shows while each stage runs (the pipeline's on_stage events); one label per stage.
_STAGE_LABELS = {
    "resume": "Finishing the last issue",
    "gather": "Reading sources",
    "select": "Selecting new articles",
    "dedupe": "Folding duplicates",
    "cluster": "Clustering stories",
    "rank": "Ranking",
    "summarize": "Summarizing",
    "render": "Rendering",
    "pending": "Storing the issue",
    "send": "Sending",
    "accepted": "Sending",
    "publish": "Publishing the site",
    "sent": "Done",
}


@dataclass(frozen=True, slots=True)
class _Bar:
    """The progress a terminal shows: each stage's label, and how many sources are read."""

    on_stage: Callable[[str], None] | None = None
    on_progress: Callable[[int, int], None] | None = None


@contextmanager
def _progress_bar() -> Iterator[_Bar]:
    """On a terminal, the name of each stage as it runs and a bar for the sources; nothing in CI logs or pipes."""
    if not sys.stderr.isatty():
        yield _Bar()
        return
    from rich.progress import Progress as Bar

    with Bar(transient=True) as bar:
        task = bar.add_task("Starting", total=None)

        def stage(name: str) -> None:
            bar.update(task, description=_STAGE_LABELS.get(name, name), completed=0, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield _Bar(stage, advance)


# `digest run`'s exit code when no source could be read (README, "Exit codes").
SOURCES_FAILED_EXIT = 3


def _exit_code(report: RunReport, config: Config) -> int:
    if report.status in ("partial", "failed"):
        return 2
    if report.status == "sources_failed":
        return SOURCES_FAILED_EXIT
    if report.status == "nothing_new":
        return config.digest.nothing_new_exit
    return 0


def _run(args: argparse.Namespace) -> int:
    testing = args.command == "run" and bool(args.to)
    config = _runnable_config(args)
    if testing:
        check_mailbox(args.to, key="--to", display_name=False)
    if testing and args.dry_run:
        raise DigestError("--to and --dry-run do not go together", hint="--to already sends to that address only")
    if args.command == "run" and not testing and not args.dry_run:
        _check_lock(config, args)
    # Here, after the config is read and the lock found free: the pipeline loads numpy, scipy and
    # scikit-learn, seconds that a config error, a lock held, `digest init`, `status` or `--help`
    # should not wait for (tests/test_imports.py).
    from .pipeline import Pipeline, Services

    with _progress_bar() as bar:
        services = Services() if bar.on_stage is None else Services(on_stage=bar.on_stage, on_progress=bar.on_progress)
        pipeline = Pipeline(config, services)
        if args.command == "preview":
            report = pipeline.preview(args.out, args.now)
        elif testing:
            report = pipeline.send_test(args.to, args.now)
        else:
            report = pipeline.run(args.now, dry_run=args.dry_run)
    _print_report(report)
    if testing:
        sent = "sent to " + ", ".join(report.delivered_to) if report.delivered_to else "not sent"
        print(f"test send {sent}: nothing was marked seen and nothing stored; the readers got nothing")
    if args.explain:
        _print_ranking(report)
    if testing and report.status != "sources_failed":
        return 0 if report.delivered_to or not report.stories else 2
    return _exit_code(report, config) if args.command == "run" else 0


def _runnable_config(args: argparse.Namespace) -> Config:
    """The config, checked for a run; a config error of `digest run` is written to report.json too."""
    try:
        config = load_config(args.config)
        config.check_runnable(str(args.config))
    except ConfigError as exc:
        if args.command == "run":
            error_report(output_folder(args.config), exc, args.now or _now(None), dry_run=args.dry_run)
        raise
    return config


def _check_lock(config: Config, args: argparse.Namespace) -> None:
    """Fail at once when another run holds the lock, before the pipeline is loaded.

    Only a first look: the run takes the lock for itself when it starts (and fails the same way if
    another took it in between).
    """
    try:
        with open_store(config.digest.state, base_dir=config.base_dir) as store, store.lock():
            pass
    except StoreError as exc:
        error_report(config.resolve(config.digest.output), exc, args.now or _now(None))
        raise


def _status(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    with _open_store(config, readonly=True) as store:
        print(f"digest: {config.digest.key}")
        fetch = config.fetch
        _print_status(
            store.status(
                runs=args.runs, quarantine_after=fetch.quarantine_after, stale_days=fetch.stale_days, now=_now(None)
            )
        )
    return 0


def _print_status(status: StoreStatus) -> None:
    print(f"state store: {status.location} (schema {status.version})")
    print("  " + ", ".join(f"{table} {n}" for table, n in status.counts))
    print(f"suppressed addresses: {status.suppressed}")
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


def _feeds(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.action is None:
        with _open_store(config, readonly=True) as store:
            fetch = config.fetch
            feeds = store.feeds.health(
                quarantine_after=fetch.quarantine_after, stale_days=fetch.stale_days, now=_now(None)
            )
        print("feeds:" if feeds else "feeds: no health recorded yet (run digest first)")
        _print_feeds(feeds)
        return 0
    if not args.name:
        raise DigestError("which feed?", hint="digest feeds revive NAME, NAME a source's name or its feed URL")
    url = next((s.url for s in config.sources if s.url and args.name in (s.name, s.url)), args.name)
    with _writing(config) as store:
        if not store.feeds.revive(url):
            raise DigestError(f"no feed {args.name!r} in the state store", hint="`digest feeds` lists the feeds by URL")
    print(f"revived {url}: fetched in full next run, and every run while it works")
    return 0


def _forget(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    with _writing(config) as store:
        count = store.seen.forget(
            ids=args.ids, source=args.source, digest_id=args.digest, since=args.since, until=args.until
        )
    print(f"forgot {count} article(s); a later digest may carry them again")
    return 0


def _unsubscribe(args: argparse.Namespace) -> int:
    for address in args.address:
        check_mailbox(address, key="ADDRESS", display_name=False)
    config = load_config(args.config)
    with _writing(config) as store:
        if args.undo:
            count = store.suppression.remove(args.address)
            print(f"took {count} address(es) off the suppression list; they get the next digest if in email.to")
        else:
            count = store.suppression.add(args.address, at=_now(None))
            print(f"suppressed {count} address(es): never mailed again, even while in email.to")
    return 0


def _ask_base_url() -> str:
    """The site's URL from the person at the terminal; empty (set it later) when no one is there."""
    if not sys.stdin.isatty():
        return ""
    answer = input("The site's public URL (e.g. https://you.github.io/your-digest/; Enter to set it later): ")
    return answer.strip()


def _ask_unsubscribe() -> str:
    """Where readers leave, from the person at the terminal; empty (every issue warns) when no one is there."""
    if not sys.stdin.isatty():
        return ""
    try:
        return input("Where do readers unsubscribe? An https URL or an address (Enter to set it later): ").strip()
    except EOFError:  # Ctrl-D, or input that ended: later, as for Enter
        return ""


def _init(args: argparse.Namespace) -> int:
    base_url = args.base_url if args.base_url is not None else _ask_base_url()
    unsubscribe = args.unsubscribe if args.unsubscribe is not None else _ask_unsubscribe()
    for path in init_project(args.dir, force=args.force, base_url=base_url, unsubscribe=unsubscribe):
        print(f"wrote {path}")
    if not base_url:
        print("site.base_url is empty: set it in digest.toml to the site's public URL before the first run")
    print("next: edit digest.toml, then `digest run --config digest.toml --dry-run`")
    return 0


COMMANDS = {
    "run": _run,
    "preview": _run,
    "status": _status,
    "forget": _forget,
    "unsubscribe": _unsubscribe,
    "feeds": _feeds,
    "init": _init,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = logging.StreamHandler()
    # Log lines quote feeds (titles, URLs, error text): none may reach the terminal as a control sequence.
    handler.setFormatter(TerminalFormatter("%(levelname)s %(message)s"))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, handlers=[handler])
    try:
        return COMMANDS[args.command](args)
    except DigestError as exc:
        print(terminal_text(f"Error: {exc}"), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
