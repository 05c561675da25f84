"""The state store: what was sent, when articles were first seen, every issue, every run.

SQLite in WAL mode with a schema version table; migrations are objects applied in order, each
with its version record in the same transaction. A run's writes happen in one transaction
(:meth:`Store.transaction`), so a crash leaves the store as it was before the run, never half
written.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .errors import StoreError
from .models import CachedResponse, FeedState, StoryMemory

__all__ = ["MIGRATIONS", "IssueRecord", "Migration", "Store"]


@dataclass(frozen=True, slots=True)
class Migration:
    """One forward step of the schema."""

    version: int
    name: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "initial",
        """
        CREATE TABLE seen (
            article_id TEXT PRIMARY KEY,
            digest_id TEXT NOT NULL,
            sent_at TEXT NOT NULL
        );
        CREATE TABLE first_seen (
            article_id TEXT PRIMARY KEY,
            at TEXT NOT NULL
        );
        CREATE TABLE issues (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            start TEXT NOT NULL,
            "end" TEXT NOT NULL,
            body_html TEXT NOT NULL,
            state TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            report TEXT NOT NULL
        );
        """,
    ),
    Migration(
        2,
        "summary cache and story memory",
        """
        CREATE TABLE llm_cache (
            model TEXT NOT NULL,
            prompt_version TEXT NOT NULL,
            story_hash TEXT NOT NULL,
            response TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (model, prompt_version, story_hash)
        );
        CREATE TABLE story_memory (
            story_id TEXT PRIMARY KEY,
            digest_id TEXT NOT NULL,
            label TEXT NOT NULL,
            terms TEXT NOT NULL,
            article_ids TEXT NOT NULL,
            sent_at TEXT NOT NULL
        );
        CREATE INDEX story_memory_sent_at ON story_memory (sent_at);
        """,
    ),
    Migration(
        3,
        "feed state",
        """
        CREATE TABLE feeds (
            url TEXT PRIMARY KEY,
            etag TEXT NOT NULL DEFAULT '',
            last_modified TEXT NOT NULL DEFAULT '',
            failures INTEGER NOT NULL DEFAULT 0,
            status INTEGER NOT NULL DEFAULT 0,
            error TEXT NOT NULL DEFAULT '',
            gone INTEGER NOT NULL DEFAULT 0,
            moved_to TEXT NOT NULL DEFAULT '',
            checked_at TEXT
        );
        """,
    ),
)


@dataclass(frozen=True, slots=True)
class IssueRecord:
    """A published issue as the site needs it."""

    id: str
    title: str
    start: datetime
    end: datetime
    body_html: str


class Store:
    """A SQLite state store at ``path`` (``":memory:"`` for tests)."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = str(path)
        try:
            if readonly:
                uri = Path(self.path).resolve().as_uri() + "?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, isolation_level=None)
            else:
                if self.path != ":memory:":
                    Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.path, isolation_level=None, timeout=10)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
                self.migrate()
        except sqlite3.Error as exc:
            raise StoreError(
                f"cannot open state store: {exc}",
                path=self.path,
                hint="check the digest.state path and its permissions",
            ) from exc

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def version(self) -> int:
        self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = self._db.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def migrate(self) -> None:
        current = self.version
        latest = MIGRATIONS[-1].version
        if current > latest:
            raise StoreError(
                f"state store is at schema {current}, newer than this digest ({latest})",
                path=self.path,
                hint="upgrade digest",
            )
        for migration in MIGRATIONS:
            if migration.version > current:
                with self.transaction():
                    for statement in migration.sql.split(";"):
                        if statement.strip():
                            self._db.execute(statement)
                    self._db.execute("INSERT INTO schema_version (version) VALUES (?)", (migration.version,))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def seen_ids(self, ids: Iterable[str]) -> frozenset[str]:
        """Which of ``ids`` were already delivered."""
        found: set[str] = set()
        batch = list(ids)
        for i in range(0, len(batch), 500):
            chunk = batch[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT article_id FROM seen WHERE article_id IN ({marks})", chunk)
            found.update(r[0] for r in rows)
        return frozenset(found)

    def first_seen(self, ids: Iterable[str]) -> dict[str, datetime]:
        out: dict[str, datetime] = {}
        for article_id in ids:
            row = self._db.execute("SELECT at FROM first_seen WHERE article_id = ?", (article_id,)).fetchone()
            if row:
                out[article_id] = datetime.fromisoformat(row[0])
        return out

    def record_first_seen(self, stamps: dict[str, datetime]) -> None:
        self._db.executemany(
            "INSERT OR IGNORE INTO first_seen (article_id, at) VALUES (?, ?)",
            [(k, v.isoformat()) for k, v in sorted(stamps.items())],
        )

    def mark_seen(self, ids: Iterable[str], *, digest_id: str, at: datetime) -> int:
        rows = [(article_id, digest_id, at.isoformat()) for article_id in ids]
        self._db.executemany("INSERT OR IGNORE INTO seen (article_id, digest_id, sent_at) VALUES (?, ?, ?)", rows)
        return len(rows)

    def save_issue(self, issue: IssueRecord, *, state: str, at: datetime) -> None:
        self._db.execute(
            'INSERT OR REPLACE INTO issues (id, title, start, "end", body_html, state, created_at) '
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                issue.id,
                issue.title,
                issue.start.isoformat(),
                issue.end.isoformat(),
                issue.body_html,
                state,
                at.isoformat(),
            ),
        )

    def issue_ids(self) -> frozenset[str]:
        return frozenset(r[0] for r in self._db.execute("SELECT id FROM issues WHERE state = 'sent'"))

    def issues(self) -> tuple[IssueRecord, ...]:
        """Every sent issue, newest first."""
        rows = self._db.execute(
            'SELECT id, title, start, "end", body_html FROM issues WHERE state = \'sent\' ORDER BY "end" DESC, id DESC'
        )
        return tuple(
            IssueRecord(r[0], r[1], datetime.fromisoformat(r[2]), datetime.fromisoformat(r[3]), r[4]) for r in rows
        )

    def record_run(self, report: dict[str, object], *, at: datetime) -> None:
        self._db.execute("INSERT INTO runs (at, report) VALUES (?, ?)", (at.isoformat(), json.dumps(report)))

    def cached_response(self, model: str, prompt_version: str, story_hash: str) -> str | None:
        """The stored LLM answer for this model, prompt version and story, if any."""
        row = self._db.execute(
            "SELECT response FROM llm_cache WHERE model = ? AND prompt_version = ? AND story_hash = ?",
            (model, prompt_version, story_hash),
        ).fetchone()
        return str(row[0]) if row else None

    def save_responses(self, responses: Iterable[CachedResponse], *, at: datetime) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO llm_cache (model, prompt_version, story_hash, response, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [(r.model, r.prompt_version, r.story_hash, r.response, at.isoformat()) for r in responses],
        )

    def remembered_stories(self, *, since: datetime) -> tuple[StoryMemory, ...]:
        """Stories sent at or after ``since``, oldest first."""
        rows = self._db.execute(
            "SELECT story_id, digest_id, label, terms, article_ids, sent_at FROM story_memory "
            "WHERE sent_at >= ? ORDER BY sent_at, story_id",
            (since.isoformat(),),
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
        self._db.executemany(
            "INSERT OR REPLACE INTO story_memory (story_id, digest_id, label, terms, article_ids, sent_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
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

    def feed_states(self, urls: Iterable[str]) -> dict[str, FeedState]:
        """What the store remembers of these feed URLs (validators, health); unknown URLs are left out."""
        out: dict[str, FeedState] = {}
        for url in urls:
            try:
                row = self._db.execute(
                    "SELECT etag, last_modified, failures, status, error, gone, moved_to, checked_at "
                    "FROM feeds WHERE url = ?",
                    (url,),
                ).fetchone()
            except sqlite3.OperationalError:  # a read-only store from before the feeds table
                return {}
            if row:
                checked = datetime.fromisoformat(row[7]) if row[7] else None
                out[url] = FeedState(url, row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6], checked)
        return out

    def record_feeds(self, states: Iterable[FeedState], *, validators: bool = True) -> None:
        """Remember each feed's health; its ETag/Last-Modified too unless ``validators`` is false.

        Validators are kept only from runs whose articles reached readers: a conditional GET answered
        304 yields no articles, so saving them after a failed delivery would lose that week's items.
        """
        for state in states:
            checked = state.checked_at.isoformat() if state.checked_at else None
            self._db.execute(
                "INSERT INTO feeds (url, failures, status, error, gone, moved_to, checked_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET failures = excluded.failures, "
                "status = excluded.status, error = excluded.error, gone = excluded.gone, "
                "moved_to = excluded.moved_to, checked_at = excluded.checked_at",
                (state.url, state.failures, state.status, state.error, int(state.gone), state.moved_to, checked),
            )
            if validators:
                self._db.execute(
                    "UPDATE feeds SET etag = ?, last_modified = ? WHERE url = ?",
                    (state.etag, state.last_modified, state.url),
                )

    def count(self, table: str) -> int:
        if table not in ("seen", "first_seen", "issues", "runs", "llm_cache", "story_memory", "feeds"):
            raise ValueError(table)
        return int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
