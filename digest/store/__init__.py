"""The state store: what was sent, when articles were first seen, every issue, every run.

:class:`Store` is the contract, one facade over a repository per concern (:mod:`.base`);
:class:`SqliteStore` (a file, the default) and :class:`PostgresStore` (``state = "postgresql://…"``)
implement it, and ``Store(path)`` opens a :class:`SqliteStore`. :func:`open_store` picks one
from the ``digest.state`` setting. Schema changes are :data:`MIGRATIONS`, applied in order.
"""

from __future__ import annotations

from pathlib import Path

from .base import Store, is_address, normal_address
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

# The contract imports no backend (no import cycle); the package, which knows them all, names the default.
Store.default_backend = SqliteStore

__all__ = [
    "DELIVERY_STATES",
    "MIGRATIONS",
    "FeedHealth",
    "IssueRecord",
    "Migration",
    "OutboxEntry",
    "PostgresStore",
    "RunRecord",
    "SeenArticle",
    "SqliteStore",
    "Store",
    "StoreStatus",
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

    A read-only SQLite store that does not exist yet opens as an empty in-memory one.
    """
    text = str(location)
    if is_postgres(text):
        return PostgresStore(text, migrate=migrate)
    path = (Path(base_dir) / text).resolve() if text != ":memory:" else text
    if readonly and (path == ":memory:" or not Path(path).exists()):
        return SqliteStore(":memory:")
    return SqliteStore(path, readonly=readonly, migrate=migrate)
