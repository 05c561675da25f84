"""What every state store backend supplies, and the parts of the contract the others build on.

A backend supplies five primitives — :meth:`StoreCore.execute`, :meth:`StoreCore.executemany`,
:meth:`StoreCore.query`, :meth:`StoreCore.transaction` and :meth:`StoreCore.lock` — plus its table
list. On top of those this module keeps the schema (migrations) and the digest scoping every query
uses; the repositories beside it (seen articles, the outbox, memory, feeds, runs, suppression) are
written once in SQL both SQLite and PostgreSQL accept, with ``?`` placeholders a backend may translate.
"""

from __future__ import annotations

from abc import ABC, ABCMeta, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ClassVar, Self

from ..errors import StoreError
from .migrations import DIGESTS_APART, MIGRATIONS, SCOPED_TABLES, Migration

__all__ = ["StoreCore", "StoreMeta"]


class StoreMeta(ABCMeta):
    """Calling a class that names a ``default_backend`` of its own opens that backend instead.

    ``Store(path)`` opened a SQLite store before there were backends to choose from, and still does:
    :mod:`digest.store`, which knows the backends, names the default, so the contract never imports one.
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        backend: Callable[..., Any] | None = cls.__dict__.get("default_backend")
        if backend is not None:
            return backend(*args, **kwargs)
        return super().__call__(*args, **kwargs)


class StoreCore(ABC, metaclass=StoreMeta):
    """The primitives a backend supplies, the schema, and which digest's rows the queries touch."""

    dialect: ClassVar[str]
    location: str
    # The digest whose rows the queries read and write (``[digest] name``, set by the pipeline). None:
    # every digest's rows are read (an inspection of the whole store) and rows are written under ''.
    digest: str | None = None
    # True: an article any digest of the store delivered counts as seen by this one too.
    shared_history: bool = False

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
    def close(self) -> None: ...

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

    _apart: bool | None = None

    def _mine(self, *, shared: bool = False) -> tuple[str, tuple[Any, ...]]:
        """The condition (and its parameters) that selects this digest's rows; ``shared``: every row."""
        if self._apart is None:
            self._apart = self.version >= DIGESTS_APART.version
        if shared or self.digest is None or not self._apart:
            return "1 = 1", ()
        return "digest = ?", (self.digest,)

    @property
    def _name(self) -> str:
        return self.digest or ""

    def use(self, name: str, *, shared_history: bool = False) -> None:
        """Read and write the rows of the digest called ``name`` from now on."""
        self.digest = name
        self.shared_history = shared_history

    def adopt(self) -> int:
        """Make the rows of a store from before digests were kept apart (named '') this digest's own.

        Call inside :meth:`transaction`; the first digest to run on an upgraded store takes its history.
        """
        if self.digest is None or self.version < DIGESTS_APART.version:
            return 0
        tables = self.tables()
        moved = 0
        for table in SCOPED_TABLES:
            if table in tables:
                moved += int(self.query(f"SELECT COUNT(*) FROM {table} WHERE digest = ''")[0][0])
                self.execute(f"UPDATE {table} SET digest = ? WHERE digest = ''", (self.digest,))
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
