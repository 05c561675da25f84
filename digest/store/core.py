"""What every state store backend supplies, and the parts of the contract the others build on.

A backend supplies five primitives — :meth:`StoreCore.execute`, :meth:`StoreCore.executemany`,
:meth:`StoreCore.query`, :meth:`StoreCore.transaction` and :meth:`StoreCore.lock` — plus its table
list. On top of those this module keeps the schema (migrations) and the digest a store is scoped to;
the repositories beside it (seen articles, the outbox, memory, feeds, runs, suppression) are written
once in SQL both SQLite and PostgreSQL accept, with ``?`` placeholders a backend may translate, and
each reads and writes through the store it is bound to (:class:`Repository`).

A store as opened is not scoped: it reads every digest's rows. :meth:`StoreCore.scoped` returns a view
bound to one digest, on the same connection, as sqlite-utils' ``db.table(name)`` is bound to one table;
a view's scope never changes, so no caller can move another's queries to a different digest.
"""

from __future__ import annotations

import copy
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ClassVar, Self

from ..errors import StoreError
from .migrations import DIGESTS_APART, MIGRATIONS, SCOPED_TABLES, Migration

__all__ = ["Repository", "StoreCore"]

log = logging.getLogger(__name__)


class StoreCore(ABC):
    """The primitives a backend supplies, the schema, and which digest's rows the queries touch."""

    dialect: ClassVar[str]
    location: str
    # Set only by scoped(): the scope of a store never changes once made.
    _digest: str | None = None
    _shared_history: bool = False

    # -- primitives a backend supplies -------------------------------------------------------------

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    @abstractmethod
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    # The statement that opens a write transaction: SQLite takes its write lock at BEGIN IMMEDIATE so
    # two runs never both read before either writes.
    begin_statement: ClassVar[str] = "BEGIN"

    @abstractmethod
    def _rollback(self) -> None:
        """Roll back on the raw connection: an error here must not hide the one that caused it."""

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all."""
        self.execute(self.begin_statement)
        try:
            yield
        except BaseException:
            self._rollback()
            raise
        self.execute("COMMIT")

    @abstractmethod
    def lock(self) -> AbstractContextManager[None]:
        """Hold the run lock; raises :class:`StoreError` at once when another run holds it.

        The lock dies with its process, so a killed run never leaves it behind.
        """

    @abstractmethod
    def tables(self) -> frozenset[str]: ...

    @abstractmethod
    def close(self) -> None:
        """Close the connection, which every view of this store shares."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema ------------------------------------------------------------------------------------

    @property
    def version(self) -> int:
        if "schema_version" not in self.tables():
            return 0
        row = self.query("SELECT MAX(version) FROM schema_version")[0]
        return int(row[0] or 0)

    def migrate(self, *, to: int | None = None, migrations: Sequence[Migration] = MIGRATIONS) -> None:
        """Apply every migration above the current version (up to ``to``), each in its own transaction."""
        self._apart = None
        current = self.version
        latest = migrations[-1].version
        if current > latest:
            raise StoreError(
                f"state store is at schema {current}, newer than this digest ({latest})",
                path=self.location,
                hint="upgrade digest",
            )
        for migration in migrations:
            if current < migration.version <= (latest if to is None else to):
                with self.transaction():
                    self.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                    for statement in migration.statements(self.dialect):
                        self.execute(statement)
                    self.execute("INSERT INTO schema_version (version) VALUES (?)", (migration.version,))

    # -- digests apart -----------------------------------------------------------------------------

    @property
    def digest(self) -> str | None:
        """The digest whose rows this store reads and writes (``[digest] name``).

        None for a store as opened: every digest's rows are read (an inspection of the whole store)
        and rows are written under ''.
        """
        return self._digest

    @property
    def shared_history(self) -> bool:
        """True: an article any digest of the store delivered counts as seen by this one too."""
        return self._shared_history

    def scoped(self, digest: str, *, shared_history: bool = False) -> Self:
        """This store seen as the digest called ``digest``: a view on the same connection.

        Reads nothing and writes nothing; the store it came from keeps its own scope.
        """
        view = copy.copy(self)
        view._digest = digest
        view._shared_history = shared_history
        return view

    @contextmanager
    def session(self, digest: str, *, shared_history: bool = False) -> Iterator[Self]:
        """The view of ``digest`` for a run or a command that writes, under the run lock.

        On entering, in one transaction, the rows of a store from before digests were kept apart
        (named '') become this digest's own: the first digest to write to an upgraded store takes
        its history. Raises :class:`StoreError` at once when another run holds the lock.
        """
        view = self.scoped(digest, shared_history=shared_history)
        with view.lock():
            with view.transaction():
                moved = view._adopt()
            if moved:
                log.info("took %d rows of a store from before digests were kept apart as %s's", moved, digest)
            yield view

    _apart: bool | None = None

    def _mine(self, *, shared: bool = False) -> tuple[str, tuple[Any, ...]]:
        """The condition (and its parameters) that selects this digest's rows; ``shared``: every row."""
        if self._apart is None:
            self._apart = self.version >= DIGESTS_APART.version
        if shared or self._digest is None or not self._apart:
            return "1 = 1", ()
        return "digest = ?", (self._digest,)

    @property
    def _name(self) -> str:
        return self._digest or ""

    def _adopt(self) -> int:
        """Make the rows named '' this digest's own; call inside :meth:`transaction`."""
        if self._digest is None or self.version < DIGESTS_APART.version:
            return 0
        tables = self.tables()
        moved = 0
        for table in SCOPED_TABLES:
            if table in tables:
                moved += int(self.query(f"SELECT COUNT(*) FROM {table} WHERE digest = ''")[0][0])
                self.execute(f"UPDATE {table} SET digest = ? WHERE digest = ''", (self._digest,))
        return moved

    def digest_names(self) -> frozenset[str]:
        """The names of the digests with issues in this store."""
        if self.version < DIGESTS_APART.version:
            return frozenset()
        return frozenset(str(r[0]) for r in self.query("SELECT DISTINCT digest FROM issues"))

    def count(self, table: str) -> int:
        """Rows in ``table``: this digest's own where rows belong to one digest."""
        if table not in self.tables():
            raise ValueError(table)
        mine, scope = self._mine() if table in SCOPED_TABLES else ("1 = 1", ())
        return int(self.query(f"SELECT COUNT(*) FROM {table} WHERE {mine}", scope)[0][0])


class Repository:
    """One concern's queries, bound to a store and so to its scope (``store.seen``, ``store.outbox``…)."""

    def __init__(self, store: StoreCore) -> None:
        self._store = store

    # The store's primitives and scope, under the names the queries were written with.

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._store.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._store.executemany(sql, rows)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._store.query(sql, params)

    def tables(self) -> frozenset[str]:
        return self._store.tables()

    @property
    def version(self) -> int:
        return self._store.version

    @property
    def location(self) -> str:
        return self._store.location

    @property
    def shared_history(self) -> bool:
        return self._store.shared_history

    def _mine(self, *, shared: bool = False) -> tuple[str, tuple[Any, ...]]:
        return self._store._mine(shared=shared)

    @property
    def _apart(self) -> bool | None:
        return self._store._apart

    @property
    def _name(self) -> str:
        return self._store._name
