"""Each feed's validators and health, as the source stage records them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from .. import health
from ..config import FetchConfig
from ..errors import StoreError
from ..models import FeedState
from .core import Repository
from .migrations import FEED_NEWEST_ITEM, FEED_SCHEDULE
from .records import FeedHealth

__all__ = ["FeedRepository"]


class FeedRepository(Repository):
    """Feed state: ETag/Last-Modified, failures, quarantine, the last success."""

    def states(self, urls: Iterable[str]) -> dict[str, FeedState]:
        """What the store remembers of these feed URLs (validators, health); unknown URLs are left out."""
        if "feeds" not in self.tables():  # a read-only store from before the feeds table
            return {}
        out: dict[str, FeedState] = {}
        # A read-only store from before the schedule columns: the same state, with no last success recorded.
        extra = ", last_success, skipped" if self.version >= FEED_SCHEDULE.version else ", NULL, 0"
        extra += ", newest_item" if self.version >= FEED_NEWEST_ITEM.version else ", NULL"
        mine, scope = self._mine()
        for url in urls:
            rows = self.query(
                "SELECT etag, last_modified, failures, status, error, gone, moved_to, checked_at"
                f"{extra} FROM feeds WHERE {mine} AND url = ?",
                (*scope, url),
            )
            if rows:
                r = rows[0]
                checked, success, newest = (datetime.fromisoformat(t) if t else None for t in (r[7], r[8], r[10]))
                out[url] = FeedState(
                    url, r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], checked, success, r[9], newest_item=newest
                )
        return out

    def record(self, states: Iterable[FeedState], *, validators: bool = True) -> None:
        """Remember each feed's health; its ETag/Last-Modified too unless ``validators`` is false.

        Validators are kept only once the articles are safe (stored in the outbox, or none were new):
        a conditional GET answered 304 yields no articles, so saving them earlier could lose a week.
        """
        for state in states:
            checked = state.checked_at.isoformat() if state.checked_at else None
            success = state.last_success.isoformat() if state.last_success else None
            self.execute(
                "INSERT INTO feeds (digest, url, failures, status, error, gone, moved_to, checked_at, last_success, "
                "skipped) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (digest, url) DO UPDATE SET "
                "failures = excluded.failures, "
                "status = excluded.status, error = excluded.error, gone = excluded.gone, "
                "moved_to = excluded.moved_to, checked_at = excluded.checked_at, "
                "last_success = excluded.last_success, skipped = excluded.skipped",
                (
                    self._name,
                    state.url,
                    state.failures,
                    state.status,
                    state.error,
                    int(state.gone),
                    state.moved_to,
                    checked,
                    success,
                    state.skipped,
                ),
            )
            if state.newest_item is not None and self.version >= FEED_NEWEST_ITEM.version:
                self.execute(
                    "UPDATE feeds SET newest_item = ? WHERE digest = ? AND url = ?",
                    (state.newest_item.isoformat(), self._name, state.url),
                )
            if validators:
                self.execute(
                    "UPDATE feeds SET etag = ?, last_modified = ? WHERE digest = ? AND url = ?",
                    (state.etag, state.last_modified, self._name, state.url),
                )

    def health(
        self,
        *,
        quarantine_after: int = FetchConfig().quarantine_after,
        stale_days: int = FetchConfig().stale_days,
        now: datetime | None = None,
    ) -> tuple[FeedHealth, ...]:
        """Per-feed health from the ``feeds`` table the source stage keeps; nothing where there is none.

        With ``now``, a feed whose newest item is more than ``stale_days`` older is marked stale.
        """
        if "feeds" not in self.tables():
            return ()
        try:
            mine, scope = self._mine()
            rows = self.query(f"SELECT url FROM feeds WHERE {mine} ORDER BY url", scope)
            urls = list(dict.fromkeys(str(r[0]) for r in rows))
            states = self.states(urls)
        except StoreError:  # a feeds table of another shape: status still shows everything else
            return ()
        stale_before = now - timedelta(days=stale_days) if now is not None else None
        return tuple(_health(states[url], quarantine_after, stale_before) for url in urls)

    def revive(self, url: str) -> bool:
        """End a feed's quarantine: fetched in full next run, its failures forgotten; False if unknown."""
        mine, scope = self._mine()
        if not self.query(f"SELECT url FROM feeds WHERE {mine} AND url = ?", (*scope, url)):
            return False
        self.execute(
            "UPDATE feeds SET failures = 0, gone = 0, skipped = 0, status = 0, error = '', etag = '', "
            f"last_modified = '' WHERE {mine} AND url = ?",
            (*scope, url),
        )
        return True


def _health(state: FeedState, quarantine_after: int, stale_before: datetime | None) -> FeedHealth:
    # Before last_success was kept, a feed whose last attempt worked had its last success then.
    success = state.last_success or (state.checked_at if not state.failures and not state.gone else None)
    newest = state.newest_item
    return FeedHealth(
        feed=state.url,
        last_success=success,
        consecutive_failures=state.failures,
        quarantined=health.quarantined(state, quarantine_after),
        gone=state.gone,
        error=state.error,
        checked_at=state.checked_at,
        next_try=max(health.wait_runs(state, quarantine_after) - state.skipped, 0),
        newest_item=newest,
        stale=stale_before is not None and newest is not None and newest < stale_before,
    )
