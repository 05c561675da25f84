"""The state store contract, run against every backend: SQLite and a real PostgreSQL server."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.errors import StoreError
from digest.store import MIGRATIONS, IssueRecord, SeenArticle, SqliteStore, Store, open_store

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ISSUE = IssueRecord("2026-W48", "Weekly", datetime(2026, 11, 16, 9, tzinfo=UTC), NOW, "<p>body</p>")
ARTICLES = (
    SeenArticle("a1", "Harbor Tech", "2026-11-20T08:00:00+00:00"),
    SeenArticle("a2", "City Ledger", "2026-11-21T08:00:00+00:00"),
)
LATEST = MIGRATIONS[-1].version


def _pending(store: Store, recipients: tuple[str, ...] = ("ann@example.org", "bob@example.org")) -> None:
    with store.transaction():
        store.save_pending(
            ISSUE, message=b"Message-ID: <x@y>\r\n\r\nhi\r\n", articles=ARTICLES, recipients=recipients, at=NOW
        )


def test_a_new_store_is_at_the_latest_schema(store_location: str) -> None:
    with open_store(store_location) as store:
        assert store.version == LATEST
        assert {"seen", "first_seen", "issues", "runs", "deliveries"} <= store.tables()


def _seed_version_1(store: Store) -> None:
    """Rows as a version-1 store holds them: every later migration must keep them readable."""
    with store.transaction():
        store.execute("INSERT INTO seen (article_id, digest_id, sent_at) VALUES (?, ?, ?)", ("old", "2026-W47", "x"))
        store.execute("INSERT INTO first_seen (article_id, at) VALUES (?, ?)", ("undated", NOW.isoformat()))
        store.execute(
            'INSERT INTO issues (id, title, start, "end", body_html, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
            ("2026-W47", "Weekly", ISSUE.start.isoformat(), ISSUE.start.isoformat(), "<p>old</p>", "sent", "x"),
        )
        store.execute("INSERT INTO runs (at, report) VALUES (?, ?)", (NOW.isoformat(), '{"digest_id": "2026-W47"}'))


@pytest.mark.parametrize("start", range(LATEST))
def test_migrates_forward_from_every_earlier_version(store_location: str, start: int) -> None:
    with open_store(store_location, migrate=False) as old:
        old.migrate(to=start)
        assert old.version == start
        if start >= 1:
            _seed_version_1(old)
    with open_store(store_location) as store:
        assert store.version == LATEST
        if start >= 1:
            assert store.seen_ids(["old", "new"]) == {"old"}
            assert list(store.first_seen(["undated"])) == ["undated"]
            assert [i.id for i in store.issues()] == ["2026-W47"]
            assert store.runs()[0].report == {"digest_id": "2026-W47"}
        _pending(store)
        assert [e.issue.id for e in store.outbox()] == ["2026-W48"]
    with open_store(store_location) as again:
        assert again.version == LATEST, "opening a current store must not migrate it again"


def test_a_store_newer_than_the_code_is_refused(store_location: str) -> None:
    with open_store(store_location) as store, store.transaction():
        store.execute("INSERT INTO schema_version (version) VALUES (?)", (LATEST + 1,))
    with pytest.raises(StoreError, match="newer than this digest"):
        open_store(store_location)


def test_the_outbox_keeps_the_message_and_each_recipient(store_location: str) -> None:
    with open_store(store_location) as store:
        _pending(store)
        (entry,) = store.outbox()
        assert entry.message.startswith(b"Message-ID: <x@y>")
        assert entry.articles == ARTICLES
        assert entry.undelivered == ("ann@example.org", "bob@example.org")
        assert store.seen_ids(["a1", "a2"]) == set(), "pending articles are not seen"
        assert store.issues() == (), "a pending issue is not on the site"
        assert "2026-W48" in store.issue_ids(), "but its id is taken"

        with store.transaction():
            store.record_delivery("2026-W48", ["ann@example.org"], state="sent", at=NOW)
        (entry,) = store.outbox()
        assert entry.undelivered == ("bob@example.org",)
        assert entry.recipients("sent") == ("ann@example.org",)

        with store.transaction():
            assert store.complete(entry, at=NOW) == 2
        assert store.outbox() == ()
        assert store.seen_ids(["a1", "a2", "a3"]) == {"a1", "a2"}
        assert store.issues() == (ISSUE,)


def test_a_failed_transaction_leaves_nothing(store_location: str) -> None:
    with open_store(store_location) as store:
        with pytest.raises(RuntimeError), store.transaction():
            _pending_without_transaction(store)
            raise RuntimeError("crash")
        assert store.outbox() == ()
        assert store.count("deliveries") == 0
        assert store.count("issues") == 0


def _pending_without_transaction(store: Store) -> None:
    store.save_pending(ISSUE, message=b"m", articles=ARTICLES, recipients=("ann@example.org",), at=NOW)


def test_forget_by_id_source_digest_and_date(store_location: str) -> None:
    with open_store(store_location) as store:
        with store.transaction():
            store.mark_seen(ARTICLES[:1], digest_id="2026-W47", at=datetime(2026, 11, 16, tzinfo=UTC))
            store.mark_seen(ARTICLES[1:], digest_id="2026-W48", at=NOW)
            store.mark_seen([SeenArticle("a3", "Harbor Tech")], digest_id="2026-W48", at=NOW)
        with pytest.raises(StoreError, match="refusing"):
            store.forget()
        assert store.forget(ids=["a3", "nope"]) == 1
        assert store.forget(source="City Ledger", since=datetime(2026, 11, 17, tzinfo=UTC)) == 1
        assert store.forget(until=datetime(2026, 11, 17, tzinfo=UTC), digest_id="2026-W47") == 1
        assert store.count("seen") == 0


def test_the_run_lock_admits_one_holder(store_location: str) -> None:
    with open_store(store_location) as first, open_store(store_location) as second:
        with first.lock(), pytest.raises(StoreError, match="another digest run is in progress"), second.lock():
            pass
        with second.lock():
            pass


def test_a_killed_holder_releases_the_lock(store_location: str) -> None:
    code = (
        "import sys, time; from digest.store import open_store\n"
        f"s = open_store({store_location!r})\n"
        "with s.lock():\n    print('locked', flush=True); time.sleep(60)\n"
    )
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            with open_store(store_location) as store:
                with pytest.raises(StoreError), store.lock():
                    pass
                holder.kill()
                holder.wait()
                _lock_within(store, seconds=10)
        finally:
            holder.kill()


def _lock_within(store: Store, *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with store.lock():
                return
        except StoreError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_status_counts_runs_and_outbox(store_location: str) -> None:
    with open_store(store_location) as store:
        with store.transaction():
            store.record_run({"digest_id": "2026-W48", "status": "failed"}, at=NOW)
        _pending(store)
        status = store.status()
        counts = dict(status.counts)
        assert counts["issues"] == 1 and counts["deliveries"] == 2 and counts["seen"] == 0
        assert [r.report["status"] for r in status.runs] == ["failed"]
        assert [e.issue.id for e in status.outbox] == ["2026-W48"]
        assert status.version == LATEST


def test_store_of_a_path_opens_sqlite(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        assert isinstance(store, SqliteStore) and store.version == LATEST


def test_feed_health_reads_the_feeds_table(store_location: str) -> None:
    with open_store(store_location) as store:
        assert store.feed_health() == ()
        with store.transaction():
            for url, failures, gone in (("https://a.example/feed", 0, 0), ("https://b.example/feed", 4, 1)):
                store.execute(
                    "INSERT INTO feeds (url, failures, gone, checked_at) VALUES (?, ?, ?, ?)",
                    (url, failures, gone, NOW.isoformat()),
                )
        good, bad = store.feed_health()
        assert (good.last_success, good.consecutive_failures, good.quarantined) == (NOW, 0, False)
        assert (bad.last_success, bad.consecutive_failures, bad.quarantined) == (None, 4, True)
