"""Which articles were delivered, when undated ones were first seen, and forgetting them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from ..errors import StoreError
from .core import Repository
from .records import SeenArticle

__all__ = ["SeenRepository"]


class SeenRepository(Repository):
    """Seen articles (per digest), first-seen stamps, and the ids from before GUIDs were scoped."""

    def ids(self, ids: Iterable[str]) -> frozenset[str]:
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

    def mark(self, articles: Iterable[SeenArticle], *, digest_id: str, at: datetime) -> int:
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
