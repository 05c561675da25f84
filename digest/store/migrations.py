"""The state store's schema, as forward migrations applied in order.

Each :class:`Migration` is applied in one transaction together with its row in
``schema_version``, so a store is always at exactly one version. Append new migrations at the end
with the next version number; never edit one that has shipped. SQL is written once for both
backends (``TEXT``/``INTEGER`` columns, ``ON CONFLICT``); a migration whose SQL cannot be shared
gives PostgreSQL its own text in ``postgres``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DIGESTS_APART",
    "FEED_NEWEST_ITEM",
    "FEED_SCHEDULE",
    "ISSUE_OUTLINE",
    "MIGRATIONS",
    "SCOPED_TABLES",
    "SUPPRESSION",
    "Migration",
]


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

_LEGACY_IDS = Migration(
    5,
    "ids before GUIDs were scoped to their feed",
    """
    CREATE TABLE legacy_ids (
        article_id TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (article_id, source)
    );
    INSERT INTO legacy_ids (article_id, source) SELECT article_id, source FROM seen;
    INSERT INTO legacy_ids (article_id, source)
        SELECT article_id, '' FROM first_seen WHERE article_id NOT IN (SELECT article_id FROM seen)
    """,
)

# Addresses that unsubscribed: never mailed, even while still in email.to. Per digest (``digest``).
SUPPRESSION = Migration(
    6,
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
    7,
    "feed health schedule",
    """
    ALTER TABLE feeds ADD COLUMN last_success TEXT;
    ALTER TABLE feeds ADD COLUMN skipped INTEGER NOT NULL DEFAULT 0;
    UPDATE feeds SET last_success = checked_at WHERE failures = 0 AND gone = 0
    """,
)

# Several digests apart in one store: every table of what a digest sent, is sending, remembers and
# fetched gains a ``digest`` column (its ``[digest] name``) and it joins each primary key, so two
# digests may both have an issue 2026-W48 and both send an article. Existing rows get the name '',
# which the first digest to run on the store takes as its own (:meth:`Store.session`). The tables are
# rebuilt, since SQLite cannot change a primary key in place.
DIGESTS_APART = Migration(
    8,
    "digests apart",
    """
    CREATE TABLE seen_apart (
        digest TEXT NOT NULL DEFAULT '',
        article_id TEXT NOT NULL,
        digest_id TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        published TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (digest, article_id)
    );
    INSERT INTO seen_apart (article_id, digest_id, sent_at, source, published)
        SELECT article_id, digest_id, sent_at, source, published FROM seen;
    DROP TABLE seen;
    ALTER TABLE seen_apart RENAME TO seen;
    CREATE INDEX seen_source ON seen (source);
    CREATE INDEX seen_article ON seen (article_id);

    CREATE TABLE issues_apart (
        digest TEXT NOT NULL DEFAULT '',
        id TEXT NOT NULL,
        title TEXT NOT NULL,
        start TEXT NOT NULL,
        "end" TEXT NOT NULL,
        body_html TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL,
        message TEXT NOT NULL DEFAULT '',
        articles TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (digest, id)
    );
    INSERT INTO issues_apart (id, title, start, "end", body_html, state, created_at, message, articles)
        SELECT id, title, start, "end", body_html, state, created_at, message, articles FROM issues;
    DROP TABLE issues;
    ALTER TABLE issues_apart RENAME TO issues;
    CREATE INDEX issues_state ON issues (state);

    CREATE TABLE deliveries_apart (
        digest TEXT NOT NULL DEFAULT '',
        digest_id TEXT NOT NULL,
        recipient TEXT NOT NULL,
        state TEXT NOT NULL,
        at TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (digest, digest_id, recipient)
    );
    INSERT INTO deliveries_apart (digest_id, recipient, state, at, detail)
        SELECT digest_id, recipient, state, at, detail FROM deliveries;
    DROP TABLE deliveries;
    ALTER TABLE deliveries_apart RENAME TO deliveries;

    CREATE TABLE story_memory_apart (
        digest TEXT NOT NULL DEFAULT '',
        story_id TEXT NOT NULL,
        digest_id TEXT NOT NULL,
        label TEXT NOT NULL,
        terms TEXT NOT NULL,
        article_ids TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        PRIMARY KEY (digest, story_id)
    );
    INSERT INTO story_memory_apart (story_id, digest_id, label, terms, article_ids, sent_at)
        SELECT story_id, digest_id, label, terms, article_ids, sent_at FROM story_memory;
    DROP TABLE story_memory;
    ALTER TABLE story_memory_apart RENAME TO story_memory;
    CREATE INDEX story_memory_sent_at ON story_memory (sent_at);

    CREATE TABLE feeds_apart (
        digest TEXT NOT NULL DEFAULT '',
        url TEXT NOT NULL,
        etag TEXT NOT NULL DEFAULT '',
        last_modified TEXT NOT NULL DEFAULT '',
        failures INTEGER NOT NULL DEFAULT 0,
        status INTEGER NOT NULL DEFAULT 0,
        error TEXT NOT NULL DEFAULT '',
        gone INTEGER NOT NULL DEFAULT 0,
        moved_to TEXT NOT NULL DEFAULT '',
        checked_at TEXT,
        last_success TEXT,
        skipped INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (digest, url)
    );
    INSERT INTO feeds_apart (url, etag, last_modified, failures, status, error, gone, moved_to, checked_at,
                             last_success, skipped)
        SELECT url, etag, last_modified, failures, status, error, gone, moved_to, checked_at,
               last_success, skipped FROM feeds;
    DROP TABLE feeds;
    ALTER TABLE feeds_apart RENAME TO feeds;

    ALTER TABLE runs ADD COLUMN digest TEXT NOT NULL DEFAULT ''
    """,
)

# Each issue's sections and headlines as JSON, stored with it so the site need not parse its HTML;
# NULL for an issue stored before, which the site still reads from its body.
ISSUE_OUTLINE = Migration(9, "issue outlines", "ALTER TABLE issues ADD COLUMN outline TEXT")

# The date of the newest item each feed carried, so `digest feeds` can tell a feed that answers but
# publishes nothing new (stale) from a healthy one; NULL until the feed is next read.
FEED_NEWEST_ITEM = Migration(10, "feed newest item", "ALTER TABLE feeds ADD COLUMN newest_item TEXT")

# The tables whose rows belong to one digest (the ``digest`` column); the others are facts any
# digest may share: when an undated article was first seen, cached LLM answers.
SCOPED_TABLES = ("seen", "issues", "deliveries", "story_memory", "feeds", "runs", "suppressed")

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
    # Article ids from a feed GUID became scoped to their feed. The ids stored until then are kept
    # here with the source that sent them, so an article known by its old id keeps it (gather).
    _LEGACY_IDS,
    SUPPRESSION,
    FEED_SCHEDULE,
    DIGESTS_APART,
    ISSUE_OUTLINE,
    FEED_NEWEST_ITEM,
)
