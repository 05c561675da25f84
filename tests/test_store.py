"""The state store contract, run against every backend: SQLite and a real PostgreSQL server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.cli import main
from digest.errors import StoreError
from digest.models import FeedState
from digest.store import (
    MIGRATIONS,
    IssueRecord,
    SeenArticle,
    SqliteStore,
    Store,
    is_postgres,
    open_store,
    redact,
)
from digest.store.migrations import DIGESTS_APART

from .conftest import PostgresServer, free_port

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ISSUE = IssueRecord("2026-W48", "Weekly", datetime(2026, 11, 16, 9, tzinfo=UTC), NOW, "<p>body</p>")
ARTICLES = (
    SeenArticle("a1", "Harbor Tech", "2026-11-20T08:00:00+00:00"),
    SeenArticle("a2", "City Ledger", "2026-11-21T08:00:00+00:00"),
)
LATEST = MIGRATIONS[-1].version


def _pending(store: Store, recipients: tuple[str, ...] = ("ann@example.org", "bob@example.org")) -> None:
    with store.transaction():
        store.outbox.save_pending(
            ISSUE, message=b"Message-ID: <x@y>\r\n\r\nhi\r\n", articles=ARTICLES, recipients=recipients, at=NOW
        )


def test_a_new_store_is_at_the_latest_schema(store: Store) -> None:
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
            assert store.seen.ids(["old", "new"]) == {"old"}
            assert list(store.seen.first_seen(["undated"])) == ["undated"]
            assert [i.id for i in store.outbox.issues()] == ["2026-W47"]
            assert store.runs.latest()[0].report == {"digest_id": "2026-W47"}
        _pending(store)
        assert [e.issue.id for e in store.outbox.pending()] == ["2026-W48"]
    with open_store(store_location) as again:
        assert again.version == LATEST, "opening a current store must not migrate it again"


def test_a_store_newer_than_the_code_is_refused(store: Store, store_location: str) -> None:
    with store.transaction():
        store.execute("INSERT INTO schema_version (version) VALUES (?)", (LATEST + 1,))
    with pytest.raises(StoreError, match="newer than this digest"):
        open_store(store_location)


def test_the_outbox_keeps_the_message_and_each_recipient(store: Store) -> None:
    _pending(store)
    (entry,) = store.outbox.pending()
    assert entry.message.startswith(b"Message-ID: <x@y>")
    assert entry.articles == ARTICLES
    assert entry.undelivered == ("ann@example.org", "bob@example.org")
    assert store.seen.ids(["a1", "a2"]) == set(), "pending articles are not seen"
    assert store.outbox.issues() == (), "a pending issue is not on the site"
    assert "2026-W48" in store.outbox.issue_ids(), "but its id is taken"

    with store.transaction():
        store.outbox.record_delivery("2026-W48", ["ann@example.org"], state="sent", at=NOW)
    (entry,) = store.outbox.pending()
    assert entry.undelivered == ("bob@example.org",)
    assert entry.recipients("sent") == ("ann@example.org",)

    with store.transaction():
        assert store.outbox.complete(entry, at=NOW) == 2
    assert store.outbox.pending() == ()
    assert store.seen.ids(["a1", "a2", "a3"]) == {"a1", "a2"}
    assert store.outbox.issues() == (ISSUE,)


def test_a_failed_transaction_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        _pending_without_transaction(store)
        raise RuntimeError("crash")
    assert store.outbox.pending() == ()
    assert store.count("deliveries") == 0
    assert store.count("issues") == 0


def _pending_without_transaction(store: Store) -> None:
    store.outbox.save_pending(ISSUE, message=b"m", articles=ARTICLES, recipients=("ann@example.org",), at=NOW)


def test_forget_by_id_source_digest_and_date(store: Store) -> None:
    with store.transaction():
        store.seen.mark(ARTICLES[:1], digest_id="2026-W47", at=datetime(2026, 11, 16, tzinfo=UTC))
        store.seen.mark(ARTICLES[1:], digest_id="2026-W48", at=NOW)
        store.seen.mark([SeenArticle("a3", "Harbor Tech")], digest_id="2026-W48", at=NOW)
    with pytest.raises(StoreError, match="refusing"):
        store.seen.forget()
    assert store.seen.forget(ids=["a3", "nope"]) == 1
    assert store.seen.forget(source="City Ledger", since=datetime(2026, 11, 17, tzinfo=UTC)) == 1
    assert store.seen.forget(until=datetime(2026, 11, 17, tzinfo=UTC), digest_id="2026-W47") == 1
    assert store.count("seen") == 0


def test_the_run_lock_admits_one_holder(store_location: str) -> None:
    with open_store(store_location) as first, open_store(store_location) as second:
        with first.lock(), pytest.raises(StoreError, match="another digest run is in progress"), second.lock():
            pass
        with second.lock():
            pass


# A second process holds the lock and is killed: the OS must drop it. The lock's rules within one
# process are tested above and below; this one needs a real process, so it runs in the full suite.
@pytest.mark.slow
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


def test_status_counts_runs_and_outbox(store: Store) -> None:
    with store.transaction():
        store.runs.record({"digest_id": "2026-W48", "status": "failed"}, at=NOW)
    _pending(store)
    status = store.status()
    counts = dict(status.counts)
    assert counts["issues"] == 1 and counts["deliveries"] == 2 and counts["seen"] == 0
    assert [r.report["status"] for r in status.runs] == ["failed"]
    assert [e.issue.id for e in status.outbox] == ["2026-W48"]
    assert status.version == LATEST


def test_a_path_opens_sqlite_and_the_contract_is_not_a_constructor(tmp_path: Path) -> None:
    with open_store(tmp_path / "state.db") as store:
        assert type(store) is SqliteStore and store.version == LATEST
    with pytest.raises(TypeError):
        Store(tmp_path / "state.db")  # type: ignore[abstract, call-arg]


def test_feed_health_reads_the_feeds_table(store: Store) -> None:
    assert store.feeds.health() == ()
    with store.transaction():
        for url, failures, gone in (("https://a.example/feed", 0, 0), ("https://b.example/feed", 4, 1)):
            store.execute(
                "INSERT INTO feeds (url, failures, gone, checked_at) VALUES (?, ?, ?, ?)",
                (url, failures, gone, NOW.isoformat()),
            )
    good, bad = store.feeds.health()
    assert (good.last_success, good.consecutive_failures, good.quarantined) == (NOW, 0, False)
    assert (bad.last_success, bad.consecutive_failures, bad.quarantined) == (None, 4, True)


def test_a_feed_whose_newest_item_is_old_is_stale(store: Store) -> None:
    fresh, dead, unknown = (
        FeedState("https://a.example/feed", newest_item=NOW - timedelta(days=3), last_success=NOW),
        FeedState("https://b.example/feed", newest_item=datetime(2015, 3, 2, tzinfo=UTC), last_success=NOW),
        FeedState("https://c.example/feed", last_success=NOW),  # no dated item ever: cannot tell
    )
    with store.transaction():
        store.feeds.record([fresh, dead, unknown])
    assert store.feed_states([dead.url])[dead.url].newest_item == dead.newest_item
    health = {h.feed: h for h in store.feeds.health(stale_days=30, now=NOW)}
    assert [health[s.url].stale for s in (fresh, dead, unknown)] == [False, True, False]
    assert health[dead.url].newest_item == dead.newest_item
    assert not any(h.stale for h in store.feeds.health(stale_days=30)), "no now, no judgement"
    # A state without a newest item (a 304, an empty feed) never forgets the one recorded.
    with store.transaction():
        store.feeds.record([FeedState(dead.url, last_success=NOW)])
    assert store.feed_states([dead.url])[dead.url].newest_item == dead.newest_item


SECRET = "s3cret-Hunter2"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql://digest@db/digest?password=s3cret&sslmode=require",
            "postgresql://digest@db/digest?password=***&sslmode=require",
        ),
        ("postgresql://digest:s3cret@db:5432/digest", "postgresql://digest:***@db:5432/digest"),
        ("postgres://u:p%40ss@h1,h2/d?PassWord=x%2Fy&x=1", "postgres://u:***@h1,h2/d?PassWord=***&x=1"),
        ("postgresql://u:pw@db/x?options=-c%20a@b", "postgresql://u:***@db/x?options=-c%20a@b"),
        ("postgresql://digest@db/digest", "postgresql://digest@db/digest"),
    ],
)
def test_a_url_is_shown_without_its_passwords(url: str, shown: str) -> None:
    assert redact(url, url) == shown


def test_a_password_a_driver_quotes_is_masked_encoded_or_not() -> None:
    url = "postgres://u:p%40ss@h/d?password=x%2Fy"
    text = f'invalid token "p@ss", "p%40ss", "x/y" in {url}'
    assert redact(text, url) == 'invalid token "***", "***", "***" in postgres://u:***@h/d?password=***'


def _closed_port_url(form: str) -> str:
    port = free_port()  # bound and closed again: nothing listens there, so connecting is refused at once
    if form == "userinfo":
        return f"postgresql://digest:{SECRET}@127.0.0.1:{port}/digest"
    if form == "query":
        return f"postgresql://digest@127.0.0.1:{port}/digest?password={SECRET}&sslmode=disable"
    return f"postgresql://digest:{SECRET}%zz@127.0.0.1:{port}/digest"  # libpq quotes the bad token back


@pytest.mark.parametrize("form", ["userinfo", "query", "malformed"])
def test_a_failed_connection_never_shows_the_password(form: str) -> None:
    pytest.importorskip("psycopg")
    with pytest.raises(StoreError) as caught:
        open_store(_closed_port_url(form))
    error = caught.value
    assert "***" in error.path and error.path.startswith("postgresql://digest")
    for text in (str(error), repr(error), error.path, repr(error.__cause__), repr(error.__context__)):
        assert SECRET not in text


@pytest.mark.parametrize("form", ["userinfo", "query", "malformed"])
def test_the_cli_and_the_run_report_never_show_the_password(
    form: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("psycopg")
    (tmp_path / "feed.xml").write_text("<rss version='2.0'><channel><title>T</title></channel></rss>")
    config = tmp_path / "digest.toml"
    config.write_text(
        f'[digest]\nstate = "{_closed_port_url(form)}"\noutput = "out"\n\n[[sources]]\npath = "feed.xml"\n',
        encoding="utf-8",
    )
    assert main(["status", "--config", str(config)]) == 1
    assert main(["-v", "run", "--config", str(config), "--now", NOW.isoformat()]) == 1
    out, err = capsys.readouterr()
    assert err.count("Error: cannot connect to PostgreSQL") == 2
    report = (tmp_path / "out" / "report.json").read_text(encoding="utf-8")
    assert "cannot connect" in report
    assert SECRET not in out + err + report


@pytest.mark.slow
@pytest.mark.postgres
def test_status_of_a_postgres_store_shows_its_url_without_the_password(
    postgres_server: PostgresServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The test server trusts every local login, so it never asks for the passwords the URL carries.
    url = postgres_server.new_database().replace("digest@", f"digest:{SECRET}@") + f"?password={SECRET}"
    config = tmp_path / "digest.toml"
    config.write_text(f'[digest]\nstate = "{url}"\n\n[[sources]]\nurl = "https://example.org/feed"\n')
    with open_store(url):
        pass  # creates the schema, so status has a store to read
    assert main(["status", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert f"state store: postgresql://digest:***@127.0.0.1:{postgres_server.port}/" in out
    assert "?password=***" in out and SECRET not in out


def _feed_file(path: Path, title: str, guid: str) -> str:
    path.write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
        f"<item><guid>{guid}</guid><title>{title} item {guid}</title>"
        "<pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>"
    )
    return str(path)


def test_articles_seen_before_guids_were_scoped_stay_seen(store_location: str, tmp_path: Path) -> None:
    from digest.config import Config, SourceConfig
    from digest.sources import gather

    with open_store(store_location, migrate=False) as old:
        old.migrate(to=4)
        # Rows as schema 4 wrote them (today's mark_seen writes columns a later migration adds).
        with old.transaction():
            for article_id, source in (("1", "Feed A"), ("legacy-no-source", "")):
                old.execute(
                    "INSERT INTO seen (article_id, digest_id, sent_at, source) VALUES (?, ?, ?, ?)",
                    (article_id, "2026-W47", NOW.isoformat(), source),
                )
    feeds = (_feed_file(tmp_path / "a.xml", "Feed A", "1"), _feed_file(tmp_path / "b.xml", "Feed B", "1"))
    config = Config(sources=tuple(SourceConfig(path=p) for p in feeds))
    with open_store(store_location) as store:
        gathered = gather(config, now=NOW, store=store)
        ids = {a.source: a.id for a in gathered.articles}
        assert ids["Feed A"] == "1", "the article seen under its old id keeps it"
        assert ids["Feed B"].endswith("b.xml#guid:1"), "the other feed's item 1 is a different article"
        assert store.seen.ids(ids.values()) == {"1"}
        assert store.seen.known_aliases([("legacy-no-source", "Any feed")]) == {("legacy-no-source", "Any feed")}


def test_a_second_run_is_told_which_process_holds_the_lock(tmp_path: Path) -> None:
    holder = rf"in progress \(pid {os.getpid()}, started "
    first, second = open_store(tmp_path / "state.db"), open_store(tmp_path / "state.db")
    with first, second, first.lock(), pytest.raises(StoreError, match=holder), second.lock():
        pass


def test_the_store_imports_where_there_is_no_fcntl(tmp_path: Path) -> None:
    # Windows has no fcntl: the run lock must come from a library that knows each platform's own lock.
    code = "import sys; sys.modules['fcntl'] = None; import digest.store, digest.cli; print('ok')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "ok", done.stderr


def test_no_repository_imports_a_backend() -> None:
    package = Path(__file__).parent.parent / "digest" / "store"
    contract = [p for p in package.glob("*.py") if p.stem not in {"__init__", "sqlite", "postgres"}]
    assert len(contract) >= 8
    for module in contract:
        text = module.read_text(encoding="utf-8")
        assert "from .sqlite" not in text and "from .postgres" not in text, module.name


def test_issues_keep_their_outline_and_those_stored_before_outlines_read_none(store_location: str) -> None:
    from digest.store.migrations import ISSUE_OUTLINE

    shaped = IssueRecord(
        "2026-W49", "Weekly", NOW, NOW, "<h2>Tech</h2>", (("tech", "Tech"),), (("tech-1", "A <b> & 'c'"),)
    )
    with open_store(store_location, migrate=False) as old:
        old.migrate(to=ISSUE_OUTLINE.version - 1)
        with old.transaction():
            old.outbox.save_issue(shaped, state="sent", at=NOW)  # a schema without the column: the outline is left out
    if not is_postgres(store_location):
        with open_store(store_location, readonly=True) as readonly:
            assert [i.sections for i in readonly.outbox.issues()] == [None]
    with open_store(store_location) as store:
        assert store.outbox.issues() == (replace(shaped, sections=None, headlines=None),)
        with store.transaction():
            store.outbox.save_issue(shaped, state="sent", at=NOW)
            store.outbox.save_pending(
                replace(shaped, id="2026-W50"), message=b"m", articles=(), recipients=("a@b.c",), at=NOW
            )
        assert store.outbox.issues() == (shaped,)
        assert store.outbox.pending()[0].issue == replace(shaped, id="2026-W50")


def test_a_scoped_view_reads_and_writes_its_own_digest_on_the_store_s_connection(store: Store) -> None:
    alpha, beta = store.scoped("alpha"), store.scoped("beta", shared_history=True)
    assert (store.digest, alpha.digest, beta.digest) == (None, "alpha", "beta")
    assert (alpha.shared_history, beta.shared_history) == (False, True)
    with pytest.raises(RuntimeError), store.transaction():  # one connection: the store's transaction is the view's
        alpha.seen.mark(ARTICLES, digest_id="2026-W48", at=NOW)
        raise RuntimeError("crash")
    assert store.count("seen") == 0
    with store.transaction():
        alpha.seen.mark(ARTICLES[:1], digest_id="2026-W48", at=NOW)
        alpha.outbox.save_issue(ISSUE, state="sent", at=NOW)
    assert alpha.seen.ids(["a1"]) == {"a1"}
    assert beta.seen.ids(["a1"]) == {"a1"}, "shared history: what alpha sent counts as seen by beta"
    assert store.scoped("beta").seen.ids(["a1"]) == set()
    assert (alpha.outbox.issues(), beta.outbox.issues()) == ((ISSUE,), ())
    assert store.outbox.issues() == (ISSUE,), "the store as opened reads every digest"
    assert store.digest_names() == {"alpha"}


def test_a_view_is_never_moved_to_another_digest(store: Store) -> None:
    alpha = store.scoped("alpha")
    with pytest.raises(AttributeError):
        alpha.digest = "beta"  # type: ignore[misc]
    assert not hasattr(store, "use") and not hasattr(store, "adopt")
    assert alpha.scoped("beta").digest == "beta" and alpha.digest == "alpha" and store.digest is None


def test_a_session_takes_the_rows_from_before_digests_were_apart_once_under_the_lock(store_location: str) -> None:
    with open_store(store_location, migrate=False) as old:
        old.migrate(to=DIGESTS_APART.version - 1)
        _seed_version_1(old)
    with open_store(store_location) as store, open_store(store_location) as other:
        assert store.scoped("alpha").seen.ids(["old"]) == set(), "a view only reads: it takes nothing"
        with store.session("alpha") as alpha:
            with pytest.raises(StoreError, match="in progress"), other.lock():
                pass
            assert alpha.digest == "alpha" and alpha.seen.ids(["old"]) == {"old"}
            assert [i.id for i in alpha.outbox.issues()] == ["2026-W47"] and len(alpha.runs.latest()) == 1
        with store.session("beta") as beta:
            assert beta.seen.ids(["old"]) == set(), "the first digest to write took them"
        assert store.query("SELECT COUNT(*) FROM seen WHERE digest = ''") == [(0,)]
        with other.lock():
            pass  # the session released the lock
