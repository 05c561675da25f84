"""The state store contract: the primitives and schema of :mod:`.core`, and a repository per concern.

A :class:`Store` keeps its repositories as attributes, each bound to the store and so to its scope
(:meth:`Store.scoped`): seen articles (``store.seen``, :mod:`.seen`), issues and the outbox
(``store.outbox``, :mod:`.outbox`), LLM answers and story memory (``store.memory``, :mod:`.memory`),
feed health (``store.feeds``, :mod:`.feeds`), runs (``store.runs``, :mod:`.runs`) and the suppression
list (``store.suppression``, :mod:`.suppression`); the status report reads them all. A backend
subclasses it and supplies the primitives; this module imports no backend.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ..config import FetchConfig
from ..models import FeedState
from .core import StoreCore
from .feeds import FeedRepository
from .memory import MemoryRepository
from .outbox import OutboxRepository
from .records import StoreStatus
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

    def status(
        self,
        *,
        runs: int = RECENT_RUNS,
        quarantine_after: int = FetchConfig().quarantine_after,
        stale_days: int = FetchConfig().stale_days,
        now: datetime | None = None,
    ) -> StoreStatus:
        tables = sorted(self.tables() - {"schema_version"})
        return StoreStatus(
            location=self.location,
            version=self.version,
            counts=tuple((t, self.count(t)) for t in tables),
            runs=self.runs.latest(runs) if "runs" in tables else (),
            outbox=self.outbox.pending() if "deliveries" in tables else (),
            feeds=self.feeds.health(quarantine_after=quarantine_after, stale_days=stale_days, now=now),
            suppressed=len(self.suppression.addresses()),
        )

    # The source stage reads the store through two narrow protocols (digest.sources.gather's
    # FeedStates and KnownIds), which a test can satisfy with a dict; these answer them.

    def feed_states(self, urls: Iterable[str]) -> dict[str, FeedState]:
        return self.feeds.states(urls)

    def known_aliases(self, pairs: Iterable[tuple[str, str]]) -> frozenset[tuple[str, str]]:
        return self.seen.known_aliases(pairs)
