"""The state store's schema, as forward migrations applied in order.

Each :class:`Migration` is applied in one transaction together with its row in
``schema_version``, so a store is always at exactly one version. Append new migrations at the end
with the next version number; never edit one that has shipped. SQL is written once for both
backends (``TEXT``/``INTEGER`` columns, ``ON CONFLICT``); a migration whose SQL cannot be shared
gives PostgreSQL its own text in ``postgres``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FEED_SCHEDULE", "MIGRATIONS", "SUPPRESSION", "Migration"]


@dataclass(frozen=True, slots=True)
class Migration:
    """One forward step of the schema."""

    version: int
    name: str
    sql: str
    postgres: str = ""

    def statements(self, dialect: str) -> tuple[str, ...]:
        text = self.postgres if dialect == "postgres" and self.postgres else self.sql
        return tuple(s.strip() for s in text.split(";") if s.strip())


_INITIAL_TABLES = """
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
"""

# Addresses that unsubscribed: never mailed, even while still in email.to. Per digest (``digest``).
SUPPRESSION = Migration(
    5,
    "suppression list",
    """
    CREATE TABLE suppressed (
        digest TEXT NOT NULL DEFAULT '',
        address TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (digest, address)
    )
    """,
)

# Feed health: the time of the last success (``checked_at`` is the last attempt) and how many runs a
# quarantined feed has been left out since it was last tried. A feed whose last attempt succeeded
# has its last success then.
FEED_SCHEDULE = Migration(
    6,
    "feed health schedule",
    """
    ALTER TABLE feeds ADD COLUMN last_success TEXT;
    ALTER TABLE feeds ADD COLUMN skipped INTEGER NOT NULL DEFAULT 0;
    UPDATE feeds SET last_success = checked_at WHERE failures = 0 AND gone = 0
    """,
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "initial",
        _INITIAL_TABLES
        + """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            report TEXT NOT NULL
        );
        """,
        postgres=_INITIAL_TABLES
        + """
        CREATE TABLE runs (
            id BIGSERIAL PRIMARY KEY,
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
    # The outbox: an issue is stored 'pending' with its exact message and article list before it is
    # sent, each recipient's delivery is recorded, and the issue becomes 'sent' (its articles seen)
    # only after every recipient was handled and the site published. ``seen`` keeps each article's
    # source and date so ``digest forget`` can select by them.
    Migration(
        4,
        "outbox",
        """
        ALTER TABLE issues ADD COLUMN message TEXT NOT NULL DEFAULT '';
        ALTER TABLE issues ADD COLUMN articles TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE seen ADD COLUMN source TEXT NOT NULL DEFAULT '';
        ALTER TABLE seen ADD COLUMN published TEXT NOT NULL DEFAULT '';
        CREATE TABLE deliveries (
            digest_id TEXT NOT NULL,
            recipient TEXT NOT NULL,
            state TEXT NOT NULL,
            at TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (digest_id, recipient)
        );
        CREATE INDEX seen_source ON seen (source);
        CREATE INDEX issues_state ON issues (state)
        """,
    ),
    SUPPRESSION,
    FEED_SCHEDULE,
)
