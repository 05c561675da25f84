"""The state store: what was sent, when articles were first seen, every issue, every run.

:class:`Store` is the contract (:mod:`.base`): the primitives, the schema, and one repository per
concern as an attribute (``store.seen``, ``store.outbox``, ``store.memory``, ``store.feeds``,
``store.runs``, ``store.suppression``). :class:`SqliteStore` (a file, the default) and
:class:`PostgresStore` (``state = "postgresql://…"``) implement it; :func:`open_store` opens the
one the ``digest.state`` setting names. ``store.scoped(name)`` is the store seen as one digest;
``store.session(name)`` is that view under the run lock, for writing. Schema changes are
:data:`MIGRATIONS`, applied in order.
"""

from __future__ import annotations

from pathlib import Path

from .base import Store, is_address, normal_address
from .channels import HeldIssue, StoredPost
from .migrations import MIGRATIONS, Migration
from .postgres import PostgresStore
from .records import (
    DELIVERY_STATES,
    FeedHealth,
    IssueRecord,
    OutboxEntry,
    RunRecord,
    SeenArticle,
    StoreStatus,
)
from .redact import redact
from .sqlite import SqliteStore

__all__ = [
    "DELIVERY_STATES",
    "MIGRATIONS",
    "FeedHealth",
    "HeldIssue",
    "IssueRecord",
    "Migration",
    "OutboxEntry",
    "PostgresStore",
    "RunRecord",
    "SeenArticle",
    "SqliteStore",
    "Store",
    "StoreStatus",
    "StoredPost",
    "is_address",
    "is_postgres",
    "normal_address",
    "open_store",
    "redact",
]


def is_postgres(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://"))


def open_store(
    location: str | Path, *, base_dir: str | Path = ".", readonly: bool = False, migrate: bool = True
) -> Store:
    """The store ``location`` names: a PostgreSQL URL, else a SQLite file relative to ``base_dir``.

    The store is not scoped to a digest (see :meth:`Store.scoped`). A read-only SQLite store that
    does not exist yet opens as an empty in-memory one.
    """
    text = str(location)
    if is_postgres(text):
        return PostgresStore(text, migrate=migrate)
    path = (Path(base_dir) / text).resolve() if text != ":memory:" else text
    if readonly and (path == ":memory:" or not Path(path).exists()):
        return SqliteStore(":memory:")
    return SqliteStore(path, readonly=readonly, migrate=migrate)
