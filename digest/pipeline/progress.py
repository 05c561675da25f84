"""What a run has done so far, and the :class:`RunReport` it becomes once the run stops."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from ..config import Config
from ..models import FeedState, Problem, RunReport, RunStatus
from ..report import write_report
from ..store import Store

__all__ = ["Progress", "record"]


@dataclass
class Progress:
    """What a run has done so far; becomes its :class:`RunReport`."""

    delivered_to: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    resent: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    outputs: list[tuple[str, str]] = field(default_factory=list)
    marked_seen: int = 0
    published: bool = False
    needs_fix: bool = False  # see RunReport.needs_fix
    posted: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    approved: list[str] = field(default_factory=list)


def record(
    config: Config,
    store: Store,
    report: RunReport,
    progress: Progress,
    first_seen: tuple[tuple[str, datetime], ...],
    feeds: tuple[FeedState, ...] = (),
) -> RunReport:
    """Fill the report from the run's progress, then store it with the run's remaining writes."""
    status = _status(report, progress)
    report = replace(
        report,
        delivered_to=tuple(progress.delivered_to),
        refused=tuple(progress.refused),
        outputs=(*report.outputs, *progress.outputs),
        published=progress.published,
        marked_seen=progress.marked_seen,
        problems=(*report.problems, *progress.problems),
        resent=tuple(progress.resent),
        completed=tuple(progress.completed),
        status=status,
        needs_fix=progress.needs_fix and status is RunStatus.FAILED,
        posted=tuple(progress.posted),
        held=tuple(progress.held),
    )
    with store.transaction():
        store.seen.record_first_seen(dict(first_seen))
        store.feeds.record(feeds)
        store.runs.record(report.to_dict(), at=report.now)
    write_report(config, report)
    return report


def _status(report: RunReport, progress: Progress) -> RunStatus:
    wanted = set(progress.resent) | set(progress.approved) | ({report.digest_id} if report.stories else set())
    wanted -= set(progress.held)
    if wanted and not wanted <= set(progress.completed):
        return RunStatus.PARTIAL if progress.delivered_to or progress.posted else RunStatus.FAILED
    if report.status is RunStatus.SOURCES_FAILED:  # an issue finished from the outbox does not hide it
        return RunStatus.SOURCES_FAILED
    if not wanted:
        return RunStatus.HELD if progress.held else RunStatus.NOTHING_NEW
    return RunStatus.PARTIAL if progress.refused else RunStatus.SENT
