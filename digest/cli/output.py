"""What `digest run` shows: the run's report, the ranking (`--explain`) and, on a terminal, its progress."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..escape import terminal_text
from ..models import RunReport

__all__ = ["Bar", "print_ranking", "print_report", "progress_bar"]


def print_report(report: RunReport) -> None:
    """The run's warnings, counts and outputs, then what became of the issue."""
    for problem in report.problems:
        print(terminal_text(f"Warning: {problem}"), file=sys.stderr)
    for digest_id in report.resent:
        print(f"{digest_id}: finished from the outbox (a previous run did not complete it)")
    print(
        f"{report.digest_id}: {report.articles_gathered} articles gathered, {report.articles_new} new, "
        f"{report.stories} stories"
    )
    _print_counts(report)
    for kind, path in report.outputs:
        print(f"  {kind}: {path}")
    if report.delivered_to:
        print(f"  delivered to: {', '.join(report.delivered_to)}")
    if report.posted:
        print(f"  posted to: {', '.join(report.posted)}")
    if report.status == "held":
        waiting = ", ".join(report.held)
        print(f"held for approval: {waiting}; nothing was sent or published (digest approve --config FILE ISSUE)")
    _print_verdict(report)


def _print_counts(report: RunReport) -> None:
    """The window, and what the run read but left out of the issue."""
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


def _print_verdict(report: RunReport) -> None:
    """The one line on stderr that says why nothing, or not everything, went out."""
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


def print_ranking(report: RunReport) -> None:
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
    "approve": "Approving",
    "held": "Holding for approval",
    "post": "Posting to channels",
    "posted": "Posting to channels",
    "sent": "Done",
}


@dataclass(frozen=True, slots=True)
class Bar:
    """The progress a terminal shows: each stage's label, and how many sources are read."""

    on_stage: Callable[[str], None] | None = None
    on_progress: Callable[[int, int], None] | None = None


@contextmanager
def progress_bar() -> Iterator[Bar]:
    """On a terminal, the name of each stage as it runs and a bar for the sources; nothing in CI logs or pipes."""
    if not sys.stderr.isatty():
        yield Bar()
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("Starting", total=None)

        def stage(name: str) -> None:
            bar.update(task, description=_STAGE_LABELS.get(name, name), completed=0, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield Bar(stage, advance)
