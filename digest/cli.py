"""The ``digest`` command: each subcommand loads the config and calls one library function.

Library errors (:class:`~digest.errors.DigestError`) become ``Error: …`` on stderr and exit 1;
a run whose delivery failed exits 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx

from .config import Config, load_config
from .errors import DigestError
from .models import RunReport
from .pipeline import preview, run
from .sources import Progress
from .store import Store

__all__ = ["main"]


def _now(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r} (e.g. 2026-11-23T09:00:00Z)") from exc
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="digest", description="Weekly newsletter digests from feeds and folders.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", required=True)
    run_cmd = commands.add_parser("run", help="build, send and publish the week's digest")
    run_cmd.add_argument("--config", required=True, type=Path)
    run_cmd.add_argument("--now", type=_now, default=None, help="end of the week (default: now)")
    run_cmd.add_argument("--dry-run", action="store_true", help="render everything, send and mark nothing")
    run_cmd.add_argument("--explain", action="store_true", help="print each story's score and its parts")
    prev = commands.add_parser("preview", help="write the four renderings without touching the state store")
    prev.add_argument("--config", required=True, type=Path)
    prev.add_argument("--out", required=True, type=Path)
    prev.add_argument("--now", type=_now, default=None)
    prev.add_argument("--explain", action="store_true", help="print each story's score and its parts")
    return parser


def _open_store(config: Config, *, readonly: bool) -> Store:
    path = config.resolve(config.digest.state)
    if readonly and not path.exists():
        return Store(":memory:")
    return Store(path, readonly=readonly)


def _print_report(report: RunReport) -> None:
    for problem in report.problems:
        print(f"Warning: {problem}", file=sys.stderr)
    print(
        f"{report.digest_id}: {report.articles_gathered} articles gathered, {report.articles_new} new, "
        f"{report.stories} stories"
    )
    for kind, path in report.outputs:
        print(f"  {kind}: {path}")
    if report.delivered_to:
        print(f"  delivered to: {', '.join(report.delivered_to)}")


def _print_ranking(report: RunReport) -> None:
    for place, story in enumerate(report.ranking, 1):
        update = " (update)" if story.update else ""
        print(f"{place:3d}. {story.score:8.2f}  [{story.section}] {story.label}{update}")
        print("       " + " ".join(f"{name}={value:g}" for name, value in story.parts))


@contextmanager
def _progress_bar() -> Iterator[Progress | None]:
    """A progress bar for the fetches when stderr is a terminal; nothing in CI logs or pipes."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress as Bar

    with Bar(transient=True) as bar:
        task = bar.add_task("Reading sources", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


def _execute(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    now = args.now or _now(None)
    store = _open_store(config, readonly=args.command == "preview")
    with httpx.Client() as client, _progress_bar() as progress, store:
        if args.command == "preview":
            report = preview(config, now=now, client=client, store=store, out=args.out, progress=progress)
        else:
            report = run(config, now=now, client=client, store=store, dry_run=args.dry_run, progress=progress)
    _print_report(report)
    if args.explain:
        _print_ranking(report)
    if args.command == "run" and not args.dry_run and report.stories and not report.delivered_to:
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        return _execute(args)
    except DigestError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
