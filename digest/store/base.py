"""The state store contract: one facade over the repositories each concern keeps.

:class:`Store` combines the primitives and schema of :mod:`.core` with one repository per concern —
seen articles (:mod:`.seen`), issues and the outbox (:mod:`.outbox`), LLM answers and story memory
(:mod:`.memory`), feed health (:mod:`.feeds`), runs (:mod:`.runs`) and the suppression list
(:mod:`.suppression`) — and adds the status report that reads them all. A backend subclasses it and
supplies the primitives; this module imports no backend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from ..config import FetchConfig
from .feeds import FeedRepository
from .memory import MemoryRepository
from .outbox import OutboxRepository
from .records import StoreStatus
from .runs import RECENT_RUNS, RunRepository
from .suppression import SuppressionRepository, is_address, normal_address

__all__ = ["Store", "is_address", "normal_address"]


class Store(OutboxRepository, MemoryRepository, FeedRepository, RunRepository, SuppressionRepository):
    """A state store: what was sent, when undated articles were first seen, every issue, every run.

    ``Store(path)`` opens the default backend :mod:`digest.store` names (SQLite); type checkers see
    the contract, so library code opens stores with :func:`digest.store.open_store` or a backend class.
    """

    # Set by digest.store on this class alone (see StoreMeta); a backend subclass is constructed as usual.
    default_backend: ClassVar[Callable[..., Store] | None] = None

    def status(self, *, runs: int = RECENT_RUNS, quarantine_after: int = FetchConfig().quarantine_after) -> StoreStatus:
        tables = sorted(self.tables() - {"schema_version"})
        return StoreStatus(
            location=self.location,
            version=self.version,
            counts=tuple((t, self.count(t)) for t in tables),
            runs=self.runs(runs) if "runs" in tables else (),
            outbox=self.outbox() if "deliveries" in tables else (),
            feeds=self.feed_health(quarantine_after=quarantine_after),
            suppressed=len(self.suppressed()),
        )
