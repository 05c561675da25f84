"""The PostgreSQL backend, for teams that run several digests, kept apart by name, from one database.

Needs the optional ``postgres`` extra (psycopg 3). The connection runs in autocommit mode and
:meth:`PostgresStore.transaction` opens explicit transactions, so the SQL the repositories of
:mod:`digest.store` share behaves as it does on SQLite. The run lock is a session-level advisory
lock: the server drops it when the connection goes, so a killed run never blocks the next one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..errors import StoreError
from .base import Store
from .redact import redact

__all__ = ["PostgresStore"]

# Digests sharing a database take turns: one run lock for all, so no two runs interleave their writes.
_LOCK_KEY = 0x6469676573740001


class PostgresStore(Store):
    """A PostgreSQL state store at ``dsn`` (``postgresql://user@host/db``); migrated on open."""

    dialect = "postgres"

    def __init__(self, dsn: str, *, migrate: bool = True) -> None:
        self.location = redact(dsn, dsn)
        self._dsn = dsn
        try:
            import psycopg
        except ImportError as exc:
            raise StoreError(
                "PostgreSQL support is not installed", path=self.location, hint="pip install 'digest-news[postgres]'"
            ) from exc
        self._errors: type[Exception] = psycopg.Error
        failure = ""
        try:
            self._db = psycopg.connect(dsn, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            failure = self._redact(exc)
        if failure:
            # Raised outside the except block, so neither chained nor with psycopg's error as its context:
            # that message may quote the URL it could not parse, password and all, and a traceback
            # prints a cause or context whole.
            raise StoreError(
                f"cannot connect to PostgreSQL: {failure}",
                path=self.location,
                hint="check digest.state and that the server is up",
            )
        if migrate:
            try:
                self.migrate()
            except BaseException:
                self._db.close()
                raise

    def close(self) -> None:
        self._db.close()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._run(lambda cur: cur.execute(_placeholders(sql), params or None))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._run(lambda cur: cur.executemany(_placeholders(sql), rows))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        def fetch(cur: Any) -> list[tuple[Any, ...]]:
            cur.execute(_placeholders(sql), params or None)
            return list(cur.fetchall())

        result: list[tuple[Any, ...]] = self._run(fetch)
        return result

    def _run(self, action: Any) -> Any:
        try:
            with self._db.cursor() as cur:
                return action(cur)
        except self._errors as exc:
            raise StoreError(f"state store failed: {self._redact(exc)}", path=self.location) from exc

    def _redact(self, exc: Exception) -> str:
        return redact(str(exc).strip(), self._dsn)

    def tables(self) -> frozenset[str]:
        rows = self.query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        return frozenset(r[0] for r in rows)

    def _rollback(self) -> None:
        self._db.execute("ROLLBACK")

    @contextmanager
    def lock(self) -> Iterator[None]:
        if not self.query("SELECT pg_try_advisory_lock(?)", (_LOCK_KEY,))[0][0]:
            raise StoreError(
                "another digest run is in progress on this database",
                path=self.location,
                hint="this run exits without changing anything; the next scheduled run goes on",
            )
        try:
            yield
        finally:
            self.query("SELECT pg_advisory_unlock(?)", (_LOCK_KEY,))


def _placeholders(sql: str) -> str:
    # The shared SQL never holds a literal '?' or '%', so a plain replace is exact.
    return sql.replace("?", "%s")
