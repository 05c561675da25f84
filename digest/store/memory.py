"""What the store remembers between runs for the summaries: LLM answers and the stories sent."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from ..models import CachedResponse, StoryMemory
from .core import Repository

__all__ = ["MemoryRepository"]


class MemoryRepository(Repository):
    """The LLM answer cache (shared by every digest) and each digest's story memory."""

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
