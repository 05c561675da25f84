"""Feed state across runs: saved with the run's writes, never by preview or dry runs."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import httpx

from digest import load_config, preview, run
from digest.store import MIGRATIONS, Store
from digest.textutil import main_text

from .conftest import FeedServer, free_port, write_config

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _config(tmp_path: Path, server: FeedServer, email: str = 'outbox = "outbox"') -> Path:
    return write_config(
        tmp_path / "digest.toml",
        f"""
[digest]
state = "state.db"
output = "out"

[[sources]]
url = "{server.url("feeds/harbor-tech.xml")}"

[[sources]]
url = "{server.url("feeds/missing.xml")}"

[fetch]
allow_networks = ["127.0.0.1/32"]

[email]
to = ["reader@example.org"]
{email}
""",
    )


def test_preview_and_dry_run_write_no_feed_state(tmp_path: Path, feed_server: FeedServer) -> None:
    config = load_config(_config(tmp_path, feed_server))
    with httpx.Client() as client, Store(tmp_path / "state.db") as store:
        preview(config, now=NOW, client=client, store=store, out=tmp_path / "preview")
        run(config, now=NOW, client=client, store=store, dry_run=True, env={})
        assert store.count("feeds") == 0


def test_a_delivered_run_saves_validators_and_health(tmp_path: Path, feed_server: FeedServer) -> None:
    config = load_config(_config(tmp_path, feed_server))
    feed, missing = feed_server.url("feeds/harbor-tech.xml"), feed_server.url("feeds/missing.xml")
    with httpx.Client() as client, Store(tmp_path / "state.db") as store:
        report = run(config, now=NOW, client=client, store=store, env={})
        assert report.stories and report.delivered_to
        states = store.feed_states([feed, missing])
        assert states[feed].last_modified and states[feed].failures == 0
        assert (states[missing].failures, states[missing].status) == (1, 404)
        again = run(config, now=NOW, client=client, store=store, env={})
    assert again.articles_gathered == 0  # the feed answered 304: nothing parsed
    assert any("failed 2 runs in a row" in p.message for p in again.problems)


def test_an_undelivered_run_keeps_validators_because_its_articles_wait_in_the_outbox(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    smtp = f'[email.smtp]\nhost = "127.0.0.1"\nport = {free_port()}\nsecurity = "none"'
    config = load_config(_config(tmp_path, feed_server, smtp))
    feed = feed_server.url("feeds/harbor-tech.xml")
    with httpx.Client() as client, Store(tmp_path / "state.db") as store:
        report = run(config, now=NOW, client=client, store=store, env={})
        assert report.stories and not report.delivered_to
        (pending,) = store.outbox()
        assert pending.issue.id == report.digest_id and pending.articles, "a 304 next run loses nothing"
        state = store.feed_states([feed])[feed]
        assert state.last_modified and state.checked_at == NOW


def test_a_store_from_schema_1_gains_the_feeds_table(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0].sql + "CREATE TABLE schema_version (version INTEGER NOT NULL);")
    db.execute("INSERT INTO schema_version VALUES (1)")
    db.commit()
    db.close()
    with Store(path, readonly=True) as old:
        assert old.feed_states(["http://x/f"]) == {}
    with Store(path) as store:
        assert store.version == MIGRATIONS[-1].version and store.count("feeds") == 0


def test_main_text_fallback_prefers_the_article_element() -> None:
    body = "<p>" + "Storm repairs on the pier finished early this week. " * 8 + "</p>"
    page = f"<html><body><nav>Home</nav><div>Sidebar links</div><article>{body}</article></body></html>"
    assert main_text(page, library=False).startswith("Storm repairs") and "Sidebar" not in main_text(
        page, library=False
    )
    assert "Sidebar" not in main_text(page)
    assert main_text("<p>short</p>", library=False) == "short"
