"""A feed's state after one fetch: validators, failure streaks, and the problem line for a failure."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ..errors import FetchError, ParseError, SourceError
from ..models import FeedState, Problem
from .feeds import Parsed
from .fetch import Fetched

__all__ = ["failed", "failure_problem", "succeeded"]


def succeeded(old: FeedState, fetched: Fetched, moved: str, now: datetime, found: Parsed) -> FeedState:
    if fetched.not_modified:  # a 304 may omit the validators: keep the ones that earned it
        etag, modified = fetched.etag or old.etag, fetched.last_modified or old.last_modified
    elif any(article.published > now for article, dated in found if dated):
        # Items dated after this run's now wait for a later window: a 304 then would hide them, so the
        # feed is fetched in full next run (a backfill of past weeks, a publisher's clock ahead of ours).
        etag, modified = "", ""
    else:
        etag, modified = fetched.etag, fetched.last_modified
    newest = max((a.published for a, dated in found if dated and a.published <= now), default=None)
    if old.newest_item is not None and (newest is None or newest < old.newest_item):
        newest = old.newest_item
    return replace(
        old,
        etag=etag,
        last_modified=modified,
        failures=0,
        status=fetched.status,
        error="",
        moved_to=moved,
        checked_at=now,
        last_success=now,
        gone=False,
        skipped=0,
        newest_item=newest,
    )


def failed(old: FeedState, exc: SourceError, now: datetime, quarantine_after: int) -> FeedState:
    status = exc.status if isinstance(exc, FetchError) and exc.status else 0
    # 410 Gone counts as a full streak of failures: the feed enters the quarantine schedule at once.
    failures = max(old.failures + 1, quarantine_after) if status == 410 else old.failures + 1
    # A body that does not parse must be fetched in full again next run, not answered with 304.
    unparsed = isinstance(exc, ParseError)
    return replace(
        old,
        etag="" if unparsed else old.etag,
        last_modified="" if unparsed else old.last_modified,
        failures=failures,
        status=status,
        error=exc.message,
        gone=status == 410,
        checked_at=now,
        skipped=0,
    )


def failure_problem(state: FeedState, exc: SourceError) -> Problem:
    if state.gone:
        return _gone_problem(state)
    streak = f" (failed {state.failures} runs in a row)" if state.failures > 1 else ""
    return Problem(state.url, exc.message + streak, exc.hint)


def _gone_problem(state: FeedState) -> Problem:
    since = f" since {state.checked_at:%Y-%m-%d}" if state.checked_at else ""
    return Problem(
        state.url, f"feed is dead (HTTP 410 Gone{since})", "remove it from the config; it is tried ever more rarely"
    )
