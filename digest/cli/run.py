"""`digest run`, `preview`, `approve` and `reject`: the commands that build, send or settle an issue."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..addresses import check_mailbox
from ..config import Config, load_config
from ..errors import DigestError, StoreError
from ..models import RunReport
from ..report import error_report
from ..store import open_store
from .common import HELD, runnable_config, utc_now
from .output import print_ranking, print_report, progress_bar

if TYPE_CHECKING:
    from ..pipeline import Pipeline

__all__ = ["SOURCES_FAILED_EXIT", "reject", "run"]

# `digest run`'s exit code when no source could be read (README, "Exit codes").
SOURCES_FAILED_EXIT = 3


def run(args: argparse.Namespace) -> int:
    """`digest run` (also `--to`, `--dry-run`, `--approve`), `preview` and `approve`: one pipeline call."""
    approving = args.command == "approve" or (args.command == "run" and bool(args.approve))
    testing = args.command == "run" and bool(args.to)
    config = _checked_config(args, approving=approving, testing=testing)
    # Here, after the config is read and the lock found free: the pipeline loads numpy, scipy and
    # scikit-learn, seconds that a config error, a lock held, `digest init`, `status` or `--help`
    # should not wait for (tests/test_imports.py).
    from ..pipeline import Pipeline, Services

    with progress_bar() as bar:
        services = Services() if bar.on_stage is None else Services(on_stage=bar.on_stage, on_progress=bar.on_progress)
        report = _call(Pipeline(config, services), args, approving=approving, testing=testing)
    print_report(report)
    _print_outcome(report, args, approving=approving, testing=testing)
    if testing and report.status != "sources_failed":
        return 0 if report.delivered_to or not report.stories else 2
    if args.command == "preview":  # its renderings are written either way; a scheduled preview must not stay green
        return SOURCES_FAILED_EXIT if report.status == "sources_failed" else 0
    return _exit_code(report, config)


def _checked_config(args: argparse.Namespace, *, approving: bool, testing: bool) -> Config:
    """The config, once the options are found to go together and the lock free for a command that takes it."""
    if approving and args.command == "run" and (args.to or args.dry_run):
        raise DigestError("--approve goes with neither --to nor --dry-run", hint="approve the held issue on its own")
    config = runnable_config(args)
    if testing:
        check_mailbox(args.to, key="--to", display_name=False)
    if testing and args.dry_run:
        raise DigestError("--to and --dry-run do not go together", hint="--to already sends to that address only")
    if approving or (args.command == "run" and not testing and not args.dry_run):
        _check_lock(config, args)
    return config


def _call(pipeline: Pipeline, args: argparse.Namespace, *, approving: bool, testing: bool) -> RunReport:
    """The one pipeline method the command stands for."""
    if approving:
        wanted = args.issue if args.command == "approve" else args.approve
        return pipeline.approve(_held_issue(pipeline.held(), wanted), args.now)
    if args.command == "preview":
        return pipeline.preview(args.out, args.now)
    if testing:
        return pipeline.send_test(args.to, args.now)
    return pipeline.run(args.now, dry_run=args.dry_run)


def _print_outcome(report: RunReport, args: argparse.Namespace, *, approving: bool, testing: bool) -> None:
    """After the report: what the approval or the test send came to, and the ranking when asked for."""
    if approving:
        done = report.digest_id in report.completed
        print(
            f"approved {report.digest_id}: " + ("sent and published" if done else "not finished; the next run retries")
        )
    if testing:
        sent = "sent to " + ", ".join(report.delivered_to) if report.delivered_to else "not sent"
        print(f"test send {sent}: nothing was marked seen and nothing stored; the readers got nothing")
    if getattr(args, "explain", False):
        print_ranking(report)


def _exit_code(report: RunReport, config: Config) -> int:
    if report.status in ("partial", "failed"):
        return 2
    if report.status == "sources_failed":
        return SOURCES_FAILED_EXIT
    if report.status == "nothing_new":
        return config.digest.nothing_new_exit
    return 0


def reject(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    from ..pipeline import Pipeline

    Pipeline(config).reject(args.issue)
    print(f"rejected {args.issue}: it is never sent; a later issue may carry its articles")
    return 0


def _held_issue(held: Sequence[str], wanted: str) -> str:
    """The issue to approve: the one named, else the one held."""
    if wanted != HELD:
        return wanted
    if len(held) != 1:
        listed = ", ".join(held) or "none"
        raise DigestError(
            f"{len(held)} issues held for approval ({listed})", hint="name the issue: digest approve ISSUE"
        )
    return held[0]


def _check_lock(config: Config, args: argparse.Namespace) -> None:
    """Fail at once when another run holds the lock, before the pipeline is loaded.

    Only a first look: the run takes the lock for itself when it starts (and fails the same way if
    another took it in between).
    """
    try:
        with open_store(config.digest.state, base_dir=config.base_dir) as store, store.lock():
            pass
    except StoreError as exc:
        error_report(config.resolve(config.digest.output), exc, args.now or utc_now())
        raise
