"""The SQLite backend: one file, WAL mode, ``synchronous=FULL``, and a lock file beside it.

SQLite's own locking guards single transactions; a whole run (send, then record) is guarded by
an exclusive OS lock on ``<state>.lock`` (``flock`` on Unix, ``LockFileEx`` on Windows, through
:mod:`filelock`), which the kernel releases when the process dies, so a crashed run never blocks the
next one.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from ..errors import StoreError
from .base import Store

__all__ = ["SqliteStore"]


class SqliteStore(Store):
    """A SQLite state store at ``path`` (``":memory:"`` for tests); migrated on open unless read-only."""

    dialect = "sqlite"

    def __init__(self, path: str | Path, *, readonly: bool = False, migrate: bool = True) -> None:
        self.location = str(path)
        try:
            if readonly:
                uri = Path(self.location).resolve().as_uri() + "?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, isolation_level=None)
            else:
                if self.location != ":memory:":
                    Path(self.location).parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.location, isolation_level=None, timeout=10)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
                if migrate:
                    self._migrate_or_close()
        except sqlite3.Error as exc:
            raise StoreError(
                f"cannot open state store: {exc}",
                path=self.location,
                hint="check the digest.state path and its permissions",
            ) from exc

    def _migrate_or_close(self) -> None:
        try:
            self.migrate()
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._run(lambda: self._db.execute(sql, params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._run(lambda: self._db.executemany(sql, rows))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self._run(lambda: self._db.execute(sql, params).fetchall())
        return rows

    def _run(self, action: Any) -> Any:
        try:
            return action()
        except sqlite3.OperationalError as exc:
            raise StoreError(f"state store failed: {exc}", path=self.location, hint="is the disk full?") from exc

    def tables(self) -> frozenset[str]:
        rows = self.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        return frozenset(r[0] for r in rows)

    begin_statement = "BEGIN IMMEDIATE"

    def _rollback(self) -> None:
        self._db.execute("ROLLBACK")

    @contextmanager
    def lock(self) -> Iterator[None]:
        if self.location == ":memory:":
            yield
            return
        path = Path(self.location + ".lock")
        # Not thread-local: the lock belongs to the run, whichever thread releases it. No soft fallback:
        # a lock file that outlives a killed run would block every run after it.
        run_lock = FileLock(path, thread_local=False, fallback_to_soft=False, on_acquired=_note_holder)
        try:
            run_lock.acquire(blocking=False)
        except Timeout:
            raise StoreError(
                f"another digest run is in progress ({_holder(path)})",
                path=self.location,
                hint="this run exits without changing anything; the next scheduled run goes on",
            ) from None
        try:
            yield
        finally:
            run_lock.release()

    def integrity(self) -> str:
        """SQLite's own check: ``"ok"`` for a sound file."""
        return str(self.query("PRAGMA integrity_check")[0][0])


def _note_holder(fd: int) -> None:
    # Which run holds the lock, for the message the next one shows; written on the locked descriptor.
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC".encode())


def _holder(path: Path) -> str:
    try:
        with path.open("rb") as file:
            text = file.read(200).decode("utf-8", "replace").strip()
    except OSError:  # Windows keeps a locked file from being read
        text = ""
    return text or "another process"
