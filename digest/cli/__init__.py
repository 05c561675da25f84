"""The ``digest`` command: each subcommand loads the config and calls one library function.

Exit codes: 0 sent and published (or nothing new, with a warning, unless ``digest.nothing_new_exit``
says otherwise; or held for approval); 1 a config or fatal error (``Error: …`` on stderr, including
another run holding the lock); 2 partial or failed delivery, email or channel post (what did not go
out stays in the outbox for the next run); 3 no source could be read (every feed, file and folder
failed: not "nothing new").

The commands live beside this module: :mod:`.run` (run, preview, approve, reject), :mod:`.status`
(status, feeds), :mod:`.edit` (forget, unsubscribe), :mod:`.init`; none of them imports the pipeline
before its config is read (a config error or a held lock is reported at once).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import DigestError
from ..escape import TerminalFormatter, terminal_text
from ..store.runs import RECENT_RUNS
from . import edit, init, run, status
from .common import HELD, time_arg

# Importable from here as before the commands had modules of their own.
from .output import _STAGE_LABELS as _STAGE_LABELS
from .run import SOURCES_FAILED_EXIT as SOURCES_FAILED_EXIT
from .run import _held_issue as _held_issue

__all__ = ["main"]

_Commands = argparse._SubParsersAction  # the type add_subparsers() returns


class _Version(argparse.Action):
    """``--version``: the version is read from the installed metadata only when asked for (it costs an import)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from .. import __version__

        print(f"digest {__version__}")  # on stdout, as argparse's own version action does
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="digest", description="Weekly newsletter digests from feeds and folders.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    parser.add_argument("--version", action=_Version, nargs=0, help="print the installed release and exit")
    commands = parser.add_subparsers(dest="command", required=True)
    _add_run(commands)
    _add_approval(commands)
    _add_preview(commands)
    _add_init(commands)
    _add_store_commands(commands)
    return parser


def _add_run(commands: _Commands[argparse.ArgumentParser]) -> None:
    run_cmd = commands.add_parser("run", help="build, send and publish the week's digest")
    run_cmd.add_argument("--config", required=True, type=Path)
    run_cmd.add_argument("--now", type=time_arg, default=None, help="end of the week (default: now)")
    run_cmd.add_argument("--dry-run", action="store_true", help="render everything, send and mark nothing")
    run_cmd.add_argument("--explain", action="store_true", help="print each story's score and its parts")
    run_cmd.add_argument(
        "--to", default="", metavar="ADDRESS", help="send the week only to ADDRESS: a test; marks and stores nothing"
    )
    run_cmd.add_argument(
        "--approve",
        nargs="?",
        const=HELD,
        default="",
        metavar="ISSUE",
        help="send and publish ISSUE (default: the one issue) held for approval, as `digest approve` does",
    )


def _add_approval(commands: _Commands[argparse.ArgumentParser]) -> None:
    approve = commands.add_parser("approve", help="send and publish an issue held for approval, as it was stored")
    approve.add_argument(
        "issue", nargs="?", default=HELD, metavar="ISSUE", help="e.g. 2026-W48 (default: the one held)"
    )
    approve.add_argument("--config", required=True, type=Path)
    approve.add_argument("--now", type=time_arg, default=None, help="the time of the approval (default: now)")
    reject = commands.add_parser(
        "reject", help="drop an issue held for approval: never sent, its articles kept for later"
    )
    reject.add_argument("issue", metavar="ISSUE", help="e.g. 2026-W48")
    reject.add_argument("--config", required=True, type=Path)


def _add_preview(commands: _Commands[argparse.ArgumentParser]) -> None:
    prev = commands.add_parser("preview", help="write the four renderings without touching the state store")
    prev.add_argument("--config", required=True, type=Path)
    prev.add_argument("--out", required=True, type=Path)
    prev.add_argument("--now", type=time_arg, default=None)
    prev.add_argument("--explain", action="store_true", help="print each story's score and its parts")


def _add_init(commands: _Commands[argparse.ArgumentParser]) -> None:
    init_cmd = commands.add_parser("init", help="write a starter digest.toml, templates/ and a GitHub workflow")
    init_cmd.add_argument("dir", nargs="?", type=Path, default=Path("."))
    init_cmd.add_argument("--force", action="store_true", help="overwrite existing files")
    init_cmd.add_argument(
        "--unsubscribe",
        default=None,
        metavar="URL_OR_ADDRESS",
        help="where readers leave: an https URL (one-click) or an address; asked for on a terminal",
    )
    init_cmd.add_argument(
        "--base-url",
        metavar="URL",
        help="the site's public URL, e.g. https://you.github.io/your-digest/ (asked for on a terminal)",
    )


def _add_store_commands(commands: _Commands[argparse.ArgumentParser]) -> None:
    """The commands that read or change the state store by hand: status, forget, feeds, unsubscribe."""
    status_cmd = commands.add_parser("status", help="show the last runs, the outbox, feed health and store counts")
    status_cmd.add_argument("--config", required=True, type=Path)
    status_cmd.add_argument("--runs", type=int, default=RECENT_RUNS, help="how many recent runs to show")
    forget = commands.add_parser("forget", help="remove articles from 'seen' so a later digest may carry them again")
    forget.add_argument("--config", required=True, type=Path)
    forget.add_argument("--id", action="append", default=[], dest="ids", help="an article id (repeatable)")
    forget.add_argument("--source", default="", help="every article from this source")
    forget.add_argument("--digest", default="", help="every article sent in this issue, e.g. 2026-W48")
    forget.add_argument("--since", type=time_arg, default=None, help="sent at or after this time")
    forget.add_argument("--until", type=time_arg, default=None, help="sent before this time")
    feeds = commands.add_parser("feeds", help="list each feed's health; `feeds revive NAME` ends a quarantine")
    feeds.add_argument("action", nargs="?", choices=["revive"], help="revive: try the feed every run again")
    feeds.add_argument("name", nargs="?", default="", help="the source's name or its feed URL")
    feeds.add_argument("--config", required=True, type=Path)
    unsubscribe = commands.add_parser("unsubscribe", help="never mail ADDRESS again, even while it is in email.to")
    unsubscribe.add_argument("address", nargs="+", metavar="ADDRESS")
    unsubscribe.add_argument("--config", required=True, type=Path)
    unsubscribe.add_argument("--undo", action="store_true", help="take ADDRESS off the suppression list")


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": run.run,
    "preview": run.run,
    "status": status.status,
    "approve": run.run,
    "reject": run.reject,
    "forget": edit.forget,
    "unsubscribe": edit.unsubscribe,
    "feeds": status.feeds,
    "init": init.init,
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
