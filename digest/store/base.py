"""The contract every state store backend implements, and the queries they share.

A backend supplies five primitives — :meth:`Store.execute`, :meth:`Store.executemany`,
:meth:`Store.query`, :meth:`Store.transaction` and :meth:`Store.lock` — plus its table list;
everything else (migrations, the outbox, seen articles, runs, ``forget``) is written once here in
SQL both SQLite and PostgreSQL accept, with ``?`` placeholders a backend may translate.
"""

from __future__ import annotations

import base64
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from email.utils import parseaddr
from typing import Any, ClassVar

from .. import health
from ..errors import StoreError
from ..models import CachedResponse, FeedState, StoryMemory
from .migrations import DIGESTS_APART, FEED_SCHEDULE, MIGRATIONS, SCOPED_TABLES, Migration
from .records import DELIVERY_STATES, FeedHealth, IssueRecord, OutboxEntry, RunRecord, SeenArticle, StoreStatus

__all__ = ["Store", "is_address", "normal_address"]


def normal_address(address: str) -> str:
    """The address part of ``address`` (``Ann <ann@x.org>`` → ``ann@x.org``), lower-cased, for comparison."""
    return (parseaddr(address)[1] or address).strip().lower()


def is_address(text: str) -> bool:
    """Whether ``text`` is one plain e-mail address (``ann@example.org``): no name, no line breaks, one ``@``."""
    name, address = parseaddr(text)
    return (
        not name
        and address == text.strip()
        and address.count("@") == 1
        and all(address.partition("@"))
        and not any(c.isspace() or ord(c) < 32 for c in address)
    )


class Store(ABC):
    """A state store: what was sent, when undated articles were first seen, every issue, every run."""

    dialect: ClassVar[str]
    location: str
    # The digest whose rows the queries read and write (``[digest] name``, set by the pipeline). None:
    # every digest's rows are read (an inspection of the whole store) and rows are written under ''.
    digest: str | None = None
    # True: an article any digest of the store delivered counts as seen by this one too.
    shared_history: bool = False

    def __new__(cls, *args: Any, **kwargs: Any) -> Store:
        # ``Store(path)`` opens a SQLite store, as it did before there were backends to choose from.
        if cls is Store:
            from .sqlite import SqliteStore

            return object.__new__(SqliteStore)
        return object.__new__(cls)

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

    def __enter__(self) -> Store:
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

    # -- articles ----------------------------------------------------------------------------------

    def seen_ids(self, ids: Iterable[str]) -> frozenset[str]:
        """Which of ``ids`` were already delivered."""
        found: set[str] = set()
        batch = list(ids)
        for i in range(0, len(batch), 500):
            chunk = batch[i : i + 500]
            marks = ",".join("?" * len(chunk))
            mine, params = self._mine(shared=self.shared_history)
            rows = self.query(
                f"SELECT article_id FROM seen WHERE {mine} AND article_id IN ({marks})", (*params, *chunk)
            )
            found.update(r[0] for r in rows)
        return frozenset(found)

    def first_seen(self, ids: Iterable[str]) -> dict[str, datetime]:
        out: dict[str, datetime] = {}
        for article_id in ids:
            rows = self.query("SELECT at FROM first_seen WHERE article_id = ?", (article_id,))
            if rows:
                out[article_id] = datetime.fromisoformat(rows[0][0])
        return out

    def record_first_seen(self, stamps: dict[str, datetime]) -> None:
        self.executemany(
            "INSERT INTO first_seen (article_id, at) VALUES (?, ?) ON CONFLICT (article_id) DO NOTHING",
            [(k, v.isoformat()) for k, v in sorted(stamps.items())],
        )

    def known_aliases(self, pairs: Iterable[tuple[str, str]]) -> frozenset[tuple[str, str]]:
        """Which ``(old id, source)`` pairs name an article this store knew before GUIDs were scoped.

        An old id recorded with no source (before stores kept one) matches any source.
        """
        wanted = list(dict.fromkeys(pairs))
        if not wanted or "legacy_ids" not in self.tables():
            return frozenset()
        ids = list(dict.fromkeys(alias for alias, _ in wanted))
        rows: set[tuple[str, str]] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT article_id, source FROM legacy_ids WHERE article_id IN ({marks})"
            rows.update((r[0], r[1]) for r in self.query(sql, chunk))
        return frozenset((alias, source) for alias, source in wanted if {(alias, source), (alias, "")} & rows)

    def mark_seen(self, articles: Iterable[SeenArticle], *, digest_id: str, at: datetime) -> int:
        rows = [(self._name, a.id, digest_id, at.isoformat(), a.source, a.published) for a in articles]
        self.executemany(
            "INSERT INTO seen (digest, article_id, digest_id, sent_at, source, published) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (digest, article_id) DO NOTHING",
            rows,
        )
        return len(rows)

    def forget(
        self,
        *,
        ids: Sequence[str] = (),
        source: str = "",
        digest_id: str = "",
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """Remove from ``seen`` the articles matching every given criterion; returns how many."""
        where: list[str] = []
        params: list[Any] = []
        if ids:
            where.append(f"article_id IN ({','.join('?' * len(ids))})")
            params.extend(ids)
        for column, value in (("source", source), ("digest_id", digest_id)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if since is not None:
            where.append("sent_at >= ?")
            params.append(since.isoformat())
        if until is not None:
            where.append("sent_at < ?")
            params.append(until.isoformat())
        if not where:
            raise StoreError("refusing to forget every article", path=self.location, hint="name ids, a source or dates")
        mine, scope = self._mine()
        clause = " AND ".join([mine, *where])
        params = [*scope, *params]
        forgotten = {r[0] for r in self.query(f"SELECT article_id FROM seen WHERE {clause}", params)}
        self.execute(f"DELETE FROM seen WHERE {clause}", params)
        self._forget_stories(forgotten)
        if forgotten and "feeds" in self.tables():
            # A conditional GET answered 304 would not bring the forgotten articles back: fetch in full.
            self.execute(f"UPDATE feeds SET etag = '', last_modified = '' WHERE {mine}", scope)
        return len(forgotten)

    def _forget_stories(self, article_ids: set[str]) -> None:
        # Story memory leaves out a story whose articles were all sent: forget those memories too.
        if not article_ids or "story_memory" not in self.tables():
            return
        mine, scope = self._mine()
        columns = "digest, story_id, article_ids" if self._apart else "'', story_id, article_ids"
        stale = [
            (r[1],) if not self._apart else (r[0], r[1])
            for r in self.query(f"SELECT {columns} FROM story_memory WHERE {mine}", scope)
            if article_ids & set(json.loads(r[2]))
        ]
        where = "digest = ? AND story_id = ?" if self._apart else "story_id = ?"
        self.executemany(f"DELETE FROM story_memory WHERE {where}", stale)

    # -- issues and the outbox ---------------------------------------------------------------------

    def save_issue(self, issue: IssueRecord, *, state: str, at: datetime) -> None:
        self.execute(
            'INSERT INTO issues (digest, id, title, start, "end", body_html, state, created_at) '
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (digest, id) DO UPDATE SET title = excluded.title, start = excluded.start, "
            '"end" = excluded."end", '
            "body_html = excluded.body_html, state = excluded.state, created_at = excluded.created_at",
            (
                self._name,
                issue.id,
                issue.title,
                issue.start.isoformat(),
                issue.end.isoformat(),
                issue.body_html,
                state,
                at.isoformat(),
            ),
        )

    def save_pending(
        self,
        issue: IssueRecord,
        *,
        message: bytes,
        articles: Sequence[SeenArticle],
        recipients: Sequence[str],
        at: datetime,
    ) -> None:
        """Put an issue in the outbox; call inside :meth:`transaction` with the rest of the run's writes."""
        self.save_issue(issue, state="pending", at=at)
        encoded = [[a.id, a.source, a.published] for a in articles]
        self.execute(
            "UPDATE issues SET message = ?, articles = ? WHERE digest = ? AND id = ?",
            (base64.b64encode(message).decode("ascii"), json.dumps(encoded), self._name, issue.id),
        )
        self.executemany(
            "INSERT INTO deliveries (digest, digest_id, recipient, state, at) VALUES (?, ?, ?, 'pending', ?) "
            "ON CONFLICT (digest, digest_id, recipient) DO NOTHING",
            [(self._name, issue.id, r, at.isoformat()) for r in dict.fromkeys(recipients)],
        )

    def outbox(self) -> tuple[OutboxEntry, ...]:
        """Issues stored but not yet completed, oldest first."""
        mine, scope = self._mine()
        rows = self.query(
            'SELECT id, title, start, "end", body_html, message, articles FROM issues '
            f"WHERE {mine} AND state = 'pending' ORDER BY created_at, id",
            scope,
        )
        entries = []
        for r in rows:
            issue = IssueRecord(r[0], r[1], datetime.fromisoformat(r[2]), datetime.fromisoformat(r[3]), r[4])
            articles = tuple(SeenArticle(*a) for a in json.loads(r[6]))
            deliveries = self.query(
                f"SELECT recipient, state FROM deliveries WHERE {mine} AND digest_id = ? ORDER BY recipient",
                (*scope, issue.id),
            )
            entries.append(
                OutboxEntry(issue, base64.b64decode(r[5]), articles, tuple((d[0], d[1]) for d in deliveries))
            )
        return tuple(entries)

    def record_delivery(
        self, digest_id: str, recipients: Iterable[str], *, state: str, at: datetime, detail: str = ""
    ) -> None:
        if state not in DELIVERY_STATES:
            raise ValueError(state)
        mine, scope = self._mine()
        self.executemany(
            f"UPDATE deliveries SET state = ?, at = ?, detail = ? WHERE {mine} AND digest_id = ? AND recipient = ?",
            [(state, at.isoformat(), detail, *scope, digest_id, r) for r in recipients],
        )

    def complete(self, entry: OutboxEntry, *, at: datetime) -> int:
        """Mark an outbox issue sent and its articles seen; call inside :meth:`transaction`."""
        mine, scope = self._mine()
        self.execute(f"UPDATE issues SET state = 'sent' WHERE {mine} AND id = ?", (*scope, entry.issue.id))
        return self.mark_seen(entry.articles, digest_id=entry.issue.id, at=at)

    def issue_ids(self) -> frozenset[str]:
        """Every issue id in use, pending or sent."""
        mine, scope = self._mine()
        return frozenset(r[0] for r in self.query(f"SELECT id FROM issues WHERE {mine}", scope))

    def last_delivered(self, *, before: datetime) -> datetime | None:
        """The end of the latest sent issue that ends at or before ``before``; None before the first."""
        mine, scope = self._mine()
        rows = self.query(f"SELECT \"end\" FROM issues WHERE {mine} AND state = 'sent'", scope)
        ends = [datetime.fromisoformat(r[0]) for r in rows]
        return max((e for e in ends if e <= before), default=None)

    def issues(self) -> tuple[IssueRecord, ...]:
        """Every sent issue, newest first."""
        mine, scope = self._mine()
        rows = self.query(
            f"SELECT id, title, start, \"end\", body_html FROM issues WHERE {mine} AND state = 'sent' "
            'ORDER BY "end" DESC, id DESC',
            scope,
        )
        return tuple(
            IssueRecord(r[0], r[1], datetime.fromisoformat(r[2]), datetime.fromisoformat(r[3]), r[4]) for r in rows
        )

    # -- summaries and story memory --------------------------------------------------------------

    def cached_response(self, model: str, prompt_version: str, story_hash: str) -> str | None:
        """The stored LLM answer for this model, prompt version and story, if any."""
        rows = self.query(
            "SELECT response FROM llm_cache WHERE model = ? AND prompt_version = ? AND story_hash = ?",
            (model, prompt_version, story_hash),
        )
        return str(rows[0][0]) if rows else None

    def save_responses(self, responses: Iterable[CachedResponse], *, at: datetime) -> None:
        self.executemany(
            "INSERT INTO llm_cache (model, prompt_version, story_hash, response, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (model, prompt_version, story_hash) DO UPDATE SET response = excluded.response, "
            "created_at = excluded.created_at",
            [(r.model, r.prompt_version, r.story_hash, r.response, at.isoformat()) for r in responses],
        )

    def remembered_stories(self, *, since: datetime) -> tuple[StoryMemory, ...]:
        """Stories sent at or after ``since``, oldest first."""
        mine, scope = self._mine()
        rows = self.query(
            "SELECT story_id, digest_id, label, terms, article_ids, sent_at FROM story_memory "
            f"WHERE {mine} AND sent_at >= ? ORDER BY sent_at, story_id",
            (*scope, since.isoformat()),
        )
        return tuple(
            StoryMemory(
                story_id=r[0],
                digest_id=r[1],
                label=r[2],
                terms=tuple((str(t), float(w)) for t, w in json.loads(r[3])),
                article_ids=tuple(json.loads(r[4])),
                sent_at=datetime.fromisoformat(r[5]),
            )
            for r in rows
        )

    def remember_stories(self, memories: Iterable[StoryMemory]) -> None:
        self.executemany(
            "INSERT INTO story_memory (digest, story_id, digest_id, label, terms, article_ids, sent_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (digest, story_id) DO UPDATE SET digest_id = excluded.digest_id, "
            "label = excluded.label, terms = excluded.terms, article_ids = excluded.article_ids, "
            "sent_at = excluded.sent_at",
            [
                (
                    self._name,
                    m.story_id,
                    m.digest_id,
                    m.label,
                    json.dumps(m.terms),
                    json.dumps(m.article_ids),
                    m.sent_at.isoformat(),
                )
                for m in memories
            ],
        )

    # -- the suppression list --------------------------------------------------------------------

    def suppress(self, addresses: Iterable[str], *, at: datetime) -> int:
        """Put ``addresses`` on this digest's suppression list; returns how many were not on it."""
        wanted = [normal_address(a) for a in addresses]
        new = [a for a in dict.fromkeys(wanted) if a not in self.suppressed()]
        self.executemany(
            "INSERT INTO suppressed (digest, address, at) VALUES (?, ?, ?) ON CONFLICT (digest, address) DO NOTHING",
            [(self._name, a, at.isoformat()) for a in new],
        )
        return len(new)

    def unsuppress(self, addresses: Iterable[str]) -> int:
        """Take ``addresses`` off the suppression list; returns how many were on it."""
        gone = [a for a in dict.fromkeys(normal_address(a) for a in addresses) if a in self.suppressed()]
        self.executemany("DELETE FROM suppressed WHERE digest = ? AND address = ?", [(self._name, a) for a in gone])
        return len(gone)

    def suppressed(self) -> frozenset[str]:
        """This digest's suppressed addresses, normalized (see :func:`normal_address`)."""
        if "suppressed" not in self.tables():
            return frozenset()
        mine, scope = self._mine()
        return frozenset(r[0] for r in self.query(f"SELECT address FROM suppressed WHERE {mine}", scope))

    # -- runs and status ---------------------------------------------------------------------------

    def record_run(self, report: dict[str, object], *, at: datetime) -> None:
        if self.version >= DIGESTS_APART.version:
            self.execute(
                "INSERT INTO runs (digest, at, report) VALUES (?, ?, ?)",
                (self._name, at.isoformat(), json.dumps(report)),
            )
        else:
            self.execute("INSERT INTO runs (at, report) VALUES (?, ?)", (at.isoformat(), json.dumps(report)))

    def runs(self, limit: int = 10) -> tuple[RunRecord, ...]:
        """The latest runs, newest first."""
        mine, scope = self._mine()
        rows = self.query(f"SELECT at, report FROM runs WHERE {mine} ORDER BY id DESC LIMIT ?", (*scope, limit))
        return tuple(RunRecord(datetime.fromisoformat(r[0]), json.loads(r[1])) for r in rows)

    def count(self, table: str) -> int:
        """Rows in ``table``: this digest's own where rows belong to one digest."""
        if table not in self.tables():
            raise ValueError(table)
        mine, scope = self._mine() if table in SCOPED_TABLES else ("1 = 1", ())
        return int(self.query(f"SELECT COUNT(*) FROM {table} WHERE {mine}", scope)[0][0])

    def feed_states(self, urls: Iterable[str]) -> dict[str, FeedState]:
        """What the store remembers of these feed URLs (validators, health); unknown URLs are left out."""
        if "feeds" not in self.tables():  # a read-only store from before the feeds table
            return {}
        out: dict[str, FeedState] = {}
        # A read-only store from before the schedule columns: the same state, with no last success recorded.
        extra = ", last_success, skipped" if self.version >= FEED_SCHEDULE.version else ", NULL, 0"
        mine, scope = self._mine()
        for url in urls:
            rows = self.query(
                "SELECT etag, last_modified, failures, status, error, gone, moved_to, checked_at"
                f"{extra} FROM feeds WHERE {mine} AND url = ?",
                (*scope, url),
            )
            if rows:
                r = rows[0]
                checked, success = (datetime.fromisoformat(t) if t else None for t in (r[7], r[8]))
                out[url] = FeedState(url, r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], checked, success, r[9])
        return out

    def record_feeds(self, states: Iterable[FeedState], *, validators: bool = True) -> None:
        """Remember each feed's health; its ETag/Last-Modified too unless ``validators`` is false.

        Validators are kept only once the articles are safe (stored in the outbox, or none were new):
        a conditional GET answered 304 yields no articles, so saving them earlier could lose a week.
        """
        for state in states:
            checked = state.checked_at.isoformat() if state.checked_at else None
            success = state.last_success.isoformat() if state.last_success else None
            self.execute(
                "INSERT INTO feeds (digest, url, failures, status, error, gone, moved_to, checked_at, last_success, "
                "skipped) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (digest, url) DO UPDATE SET "
                "failures = excluded.failures, "
                "status = excluded.status, error = excluded.error, gone = excluded.gone, "
                "moved_to = excluded.moved_to, checked_at = excluded.checked_at, "
                "last_success = excluded.last_success, skipped = excluded.skipped",
                (
                    self._name,
                    state.url,
                    state.failures,
                    state.status,
                    state.error,
                    int(state.gone),
                    state.moved_to,
                    checked,
                    success,
                    state.skipped,
                ),
            )
            if validators:
                self.execute(
                    "UPDATE feeds SET etag = ?, last_modified = ? WHERE digest = ? AND url = ?",
                    (state.etag, state.last_modified, self._name, state.url),
                )

    def feed_health(self, *, quarantine_after: int = 5) -> tuple[FeedHealth, ...]:
        """Per-feed health from the ``feeds`` table the source stage keeps; nothing where there is none."""
        if "feeds" not in self.tables():
            return ()
        try:
            mine, scope = self._mine()
            rows = self.query(f"SELECT url FROM feeds WHERE {mine} ORDER BY url", scope)
            urls = list(dict.fromkeys(str(r[0]) for r in rows))
            states = self.feed_states(urls)
        except StoreError:  # a feeds table of another shape: status still shows everything else
            return ()
        return tuple(_health(states[url], quarantine_after) for url in urls)

    def revive_feed(self, url: str) -> bool:
        """End a feed's quarantine: fetched in full next run, its failures forgotten; False if unknown."""
        mine, scope = self._mine()
        if not self.query(f"SELECT url FROM feeds WHERE {mine} AND url = ?", (*scope, url)):
            return False
        self.execute(
            "UPDATE feeds SET failures = 0, gone = 0, skipped = 0, status = 0, error = '', etag = '', "
            f"last_modified = '' WHERE {mine} AND url = ?",
            (*scope, url),
        )
        return True

    def status(self, *, runs: int = 10, quarantine_after: int = 5) -> StoreStatus:
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


def _health(state: FeedState, quarantine_after: int) -> FeedHealth:
    # Before last_success was kept, a feed whose last attempt worked had its last success then.
    success = state.last_success or (state.checked_at if not state.failures and not state.gone else None)
    return FeedHealth(
        feed=state.url,
        last_success=success,
        consecutive_failures=state.failures,
        quarantined=health.quarantined(state, quarantine_after),
        gone=state.gone,
        error=state.error,
        checked_at=state.checked_at,
        next_try=max(health.wait_runs(state, quarantine_after) - state.skipped, 0),
    )
