"""The state store contract: the primitives and schema of :mod:`.core`, and a repository per concern.

A :class:`Store` keeps its repositories as attributes, each bound to the store and so to its scope
(:meth:`Store.scoped`): seen articles (``store.seen``, :mod:`.seen`), issues and the outbox
(``store.outbox``, :mod:`.outbox`), LLM answers and story memory (``store.memory``, :mod:`.memory`),
feed health (``store.feeds``, :mod:`.feeds`), runs (``store.runs``, :mod:`.runs`) and the suppression
list (``store.suppression``, :mod:`.suppression`); the status report reads them all. A backend
subclasses it and supplies the primitives; this module imports no backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from ..config import FetchConfig
from ..models import CachedResponse, FeedState, StoryMemory
from .core import StoreCore
from .feeds import FeedRepository
from .memory import MemoryRepository
from .outbox import OutboxRepository
from .records import FeedHealth, IssueRecord, OutboxEntry, SeenArticle, StoreStatus
from .runs import RECENT_RUNS, RunRepository
from .seen import SeenRepository
from .suppression import SuppressionRepository, is_address, normal_address

__all__ = ["Store", "is_address", "normal_address"]


class Store(StoreCore):
    """A state store: what was sent, when undated articles were first seen, every issue, every run.

    Open one with :func:`digest.store.open_store`; scope it to a digest with :meth:`scoped`, or with
    :meth:`session` to write.
    """

    # Properties, not attributes set once: a view made by scoped() must not reach its store's repositories.

    @property
    def seen(self) -> SeenRepository:
        return SeenRepository(self)

    @property
    def outbox(self) -> OutboxRepository:
        return OutboxRepository(self)

    @property
    def memory(self) -> MemoryRepository:
        return MemoryRepository(self)

    @property
    def feeds(self) -> FeedRepository:
        return FeedRepository(self)

    @property
    def runs(self) -> RunRepository:
        return RunRepository(self)

    @property
    def suppression(self) -> SuppressionRepository:
        return SuppressionRepository(self)

    def status(self, *, runs: int = RECENT_RUNS, quarantine_after: int = FetchConfig().quarantine_after) -> StoreStatus:
        tables = sorted(self.tables() - {"schema_version"})
        return StoreStatus(
            location=self.location,
            version=self.version,
            counts=tuple((t, self.count(t)) for t in tables),
            runs=self.runs.latest(runs) if "runs" in tables else (),
            outbox=self.outbox.pending() if "deliveries" in tables else (),
            feeds=self.feeds.health(quarantine_after=quarantine_after),
            suppressed=len(self.suppression.addresses()),
        )

    # -- the repositories' methods under the names callers used before repositories were attributes --
    # Each forwards to its repository; kept until the callers in the pipeline and the tests use the
    # repositories themselves, then removed.

    def seen_ids(self, ids: Iterable[str]) -> frozenset[str]:
        return self.seen.ids(ids)

    def first_seen(self, ids: Iterable[str]) -> dict[str, datetime]:
        return self.seen.first_seen(ids)

    def record_first_seen(self, stamps: dict[str, datetime]) -> None:
        self.seen.record_first_seen(stamps)

    def known_aliases(self, pairs: Iterable[tuple[str, str]]) -> frozenset[tuple[str, str]]:
        return self.seen.known_aliases(pairs)

    def mark_seen(self, articles: Iterable[SeenArticle], *, digest_id: str, at: datetime) -> int:
        return self.seen.mark(articles, digest_id=digest_id, at=at)

    def forget(
        self,
        *,
        ids: Sequence[str] = (),
        source: str = "",
        digest_id: str = "",
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        return self.seen.forget(ids=ids, source=source, digest_id=digest_id, since=since, until=until)

    def save_issue(self, issue: IssueRecord, *, state: str, at: datetime) -> None:
        self.outbox.save_issue(issue, state=state, at=at)

    def save_pending(
        self,
        issue: IssueRecord,
        *,
        message: bytes,
        articles: Sequence[SeenArticle],
        recipients: Sequence[str],
        at: datetime,
    ) -> None:
        self.outbox.save_pending(issue, message=message, articles=articles, recipients=recipients, at=at)

    def record_delivery(
        self, digest_id: str, recipients: Iterable[str], *, state: str, at: datetime, detail: str = ""
    ) -> None:
        self.outbox.record_delivery(digest_id, recipients, state=state, at=at, detail=detail)

    def complete(self, entry: OutboxEntry, *, at: datetime) -> int:
        return self.outbox.complete(entry, at=at)

    def issue_ids(self) -> frozenset[str]:
        return self.outbox.issue_ids()

    def last_delivered(self, *, before: datetime) -> datetime | None:
        return self.outbox.last_delivered(before=before)

    def issues(self) -> tuple[IssueRecord, ...]:
        return self.outbox.issues()

    def cached_response(self, model: str, prompt_version: str, story_hash: str) -> str | None:
        return self.memory.cached_response(model, prompt_version, story_hash)

    def save_responses(self, responses: Iterable[CachedResponse], *, at: datetime) -> None:
        self.memory.save_responses(responses, at=at)

    def remembered_stories(self, *, since: datetime) -> tuple[StoryMemory, ...]:
        return self.memory.remembered_stories(since=since)

    def remember_stories(self, memories: Iterable[StoryMemory]) -> None:
        self.memory.remember_stories(memories)

    def feed_states(self, urls: Iterable[str]) -> dict[str, FeedState]:
        return self.feeds.states(urls)

    def record_feeds(self, states: Iterable[FeedState], *, validators: bool = True) -> None:
        self.feeds.record(states, validators=validators)

    def feed_health(self, *, quarantine_after: int = FetchConfig().quarantine_after) -> tuple[FeedHealth, ...]:
        return self.feeds.health(quarantine_after=quarantine_after)

    def revive_feed(self, url: str) -> bool:
        return self.feeds.revive(url)

    def record_run(self, report: dict[str, object], *, at: datetime) -> None:
        self.runs.record(report, at=at)

    def suppress(self, addresses: Iterable[str], *, at: datetime) -> int:
        return self.suppression.add(addresses, at=at)

    def unsuppress(self, addresses: Iterable[str]) -> int:
        return self.suppression.remove(addresses)

    def suppressed(self) -> frozenset[str]:
        return self.suppression.addresses()
