"""What the store hands back: plain records of issues, deliveries, runs and feed health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "DELIVERY_STATES",
    "FeedHealth",
    "IssueRecord",
    "OutboxEntry",
    "RunRecord",
    "SeenArticle",
    "StoreStatus",
]

# A recipient is 'pending' until the server accepted ('sent') or permanently refused ('refused') the message,
# or the address unsubscribed while the issue waited ('suppressed').
DELIVERY_STATES = ("pending", "sent", "refused", "suppressed")


@dataclass(frozen=True, slots=True)
class IssueRecord:
    """A published issue as the site needs it.

    ``sections`` (anchor, name) and ``headlines`` (anchor, text) are its outline, kept when it was
    stored; None for an issue stored before outlines were, whose outline is in ``body_html`` alone.
    """

    id: str
    title: str
    start: datetime
    end: datetime
    body_html: str
    sections: tuple[tuple[str, str], ...] | None = None
    headlines: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True, slots=True)
class SeenArticle:
    """An article a digest carries: what ``seen`` records once the digest went out."""

    id: str
    source: str = ""
    published: str = ""


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """An issue stored ``pending``: its exact message, its articles and each recipient's state."""

    issue: IssueRecord
    message: bytes
    articles: tuple[SeenArticle, ...]
    deliveries: tuple[tuple[str, str], ...]

    @property
    def undelivered(self) -> tuple[str, ...]:
        return tuple(r for r, state in self.deliveries if state == "pending")

    def recipients(self, state: str) -> tuple[str, ...]:
        return tuple(r for r, s in self.deliveries if s == state)


@dataclass(frozen=True, slots=True)
class RunRecord:
    at: datetime
    report: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """How one feed has been doing, for ``digest status``."""

    feed: str
    last_success: datetime | None = None
    consecutive_failures: int = 0
    quarantined: bool = False
    gone: bool = False
    error: str = ""
    checked_at: datetime | None = None
    # Runs the feed is still left out of before its next try (0: fetched next run).
    next_try: int = 0
    # The date of its newest item, and whether that is older than fetch.stale_days: it answers, but
    # publishes nothing (moved elsewhere, abandoned).
    newest_item: datetime | None = None
    stale: bool = False


@dataclass(frozen=True, slots=True)
class StoreStatus:
    location: str
    version: int
    counts: tuple[tuple[str, int], ...]
    runs: tuple[RunRecord, ...]
    outbox: tuple[OutboxEntry, ...]
    feeds: tuple[FeedHealth, ...]
    # Addresses on the digest's suppression list.
    suppressed: int = 0
