"""Feed state across runs: saved with the run's writes, never by preview or dry runs."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from digest import Pipeline, Services, load_config
from digest.cli import main
from digest.config import Config
from digest.sources import gather
from digest.store import MIGRATIONS, Store, open_store
from digest.textutil import main_text

from .conftest import FeedServer, LoopbackConfig, free_port, serving

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _two_feeds(server: FeedServer) -> list[dict[str, str]]:
    """A feed that answers and one that is missing (404)."""
    return [{"url": server.url("feeds/harbor-tech.xml")}, {"url": server.url("feeds/missing.xml")}]


def test_preview_and_dry_run_write_no_feed_state(
    tmp_path: Path, feed_server: FeedServer, loopback_config: LoopbackConfig
) -> None:
    config = loopback_config(sources=_two_feeds(feed_server))
    with open_store(tmp_path / "state.db") as store:
        Pipeline(config, store=store).preview(tmp_path / "preview", NOW)
        Pipeline(config, Services(env={}), store=store).run(NOW, dry_run=True)
        assert store.count("feeds") == 0


def test_a_delivered_run_saves_validators_and_health(
    tmp_path: Path, feed_server: FeedServer, loopback_config: LoopbackConfig
) -> None:
    config = loopback_config(sources=_two_feeds(feed_server))
    feed, missing = feed_server.url("feeds/harbor-tech.xml"), feed_server.url("feeds/missing.xml")
    with open_store(tmp_path / "state.db") as store:
        report = Pipeline(config, Services(env={}), store=store).run(NOW)
        assert report.stories and report.delivered_to
        states = store.feed_states([feed, missing])
        assert states[feed].last_modified and states[feed].failures == 0
        assert (states[missing].failures, states[missing].status) == (1, 404)
        again = Pipeline(config, Services(env={}), store=store).run(NOW)
    assert again.articles_gathered == 0  # the feed answered 304: nothing parsed
    assert any("failed 2 runs in a row" in p.message for p in again.problems)


def test_an_undelivered_run_keeps_validators_because_its_articles_wait_in_the_outbox(
    tmp_path: Path, feed_server: FeedServer, loopback_config: LoopbackConfig
) -> None:
    closed = {"smtp": {"host": "127.0.0.1", "port": free_port(), "security": "none"}}
    config = loopback_config(sources=_two_feeds(feed_server), email=closed)
    feed = feed_server.url("feeds/harbor-tech.xml")
    waits: list[float] = []
    with open_store(tmp_path / "state.db") as store:
        report = Pipeline(config, Services(env={}, sleep=waits.append), store=store).run(NOW)
        assert report.stories and not report.delivered_to
        assert waits, "the closed port was retried, without waiting for real"
        (pending,) = store.outbox.pending()
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
    with open_store(path, readonly=True) as old:
        assert old.feed_states(["http://x/f"]) == {}
    with open_store(path) as store:
        assert store.version == MIGRATIONS[-1].version and store.count("feeds") == 0


def test_main_text_fallback_prefers_the_article_element() -> None:
    body = "<p>" + "Storm repairs on the pier finished early this week. " * 8 + "</p>"
    page = f"<html><body><nav>Home</nav><div>Sidebar links</div><article>{body}</article></body></html>"
    assert main_text(page, library=False).startswith("Storm repairs") and "Sidebar" not in main_text(
        page, library=False
    )
    assert "Sidebar" not in main_text(page)
    assert main_text("<p>short</p>", library=False) == "short"


def _gather_runs(config: Config, store: Store, runs: int, start: int = 0) -> list[int]:
    """Gather ``runs`` times, saving feed state each time; the run numbers on which the feed was fetched."""
    fetched = []
    for n in range(start, start + runs):
        gathered = gather(config, now=NOW + timedelta(days=7 * n), store=store)
        with store.transaction():
            store.feeds.record(gathered.feeds)
        if not any("not fetched this run" in p.message for p in gathered.problems):
            fetched.append(n)
    return fetched


def _flaky(url: str, after: int = 2) -> dict[str, Any]:
    """One feed, no retries within a run, quarantined after ``after`` failed runs."""
    return {"sources": [{"url": url, "name": "Flaky"}], "fetch": {"retries": 0, "quarantine_after": after}}


def test_a_failing_feed_is_retried_on_an_exponential_schedule_of_runs(
    feed_server: FeedServer, loopback_config: LoopbackConfig
) -> None:
    config = loopback_config(**_flaky(feed_server.url("feeds/flaky.xml")))
    with open_store(":memory:") as store:
        fetched = _gather_runs(config, store, 20)
        # Two failures quarantine it; then tried after 1, 2, 4, 8 runs left out.
        assert fetched == [0, 1, 3, 6, 11]
        assert len(feed_server.requests) == len(fetched), "a left-out feed is not requested at all"
        (health_,) = store.feeds.health(quarantine_after=2)
        assert health_.quarantined and health_.consecutive_failures == 5 and health_.last_success is None
        # It works again: one success ends the quarantine, and it is fetched every run.
        shutil.copy(feed_server.root / "feeds" / "harbor-tech.xml", feed_server.root / "feeds" / "flaky.xml")
        assert _gather_runs(config, store, 5, start=20) == [20, 21, 22, 23, 24]
        (health_,) = store.feeds.health(quarantine_after=2)
        assert not health_.quarantined and health_.last_success is not None


def test_the_schedule_recovers_a_feed_that_comes_back(feed_server: FeedServer, loopback_config: LoopbackConfig) -> None:
    config = loopback_config(**_flaky(feed_server.url("feeds/flaky.xml")))
    with open_store(":memory:") as store:
        assert _gather_runs(config, store, 4) == [0, 1, 3]
        shutil.copy(feed_server.root / "feeds" / "harbor-tech.xml", feed_server.root / "feeds" / "flaky.xml")
        # Run 4 and 5 are left out (2 runs after the third failure), run 6 tries it and it works.
        assert _gather_runs(config, store, 5, start=4) == [6, 7, 8]
        (health_,) = store.feeds.health(quarantine_after=2)
        assert (health_.quarantined, health_.consecutive_failures) == (False, 0)
        assert health_.last_success == NOW + timedelta(days=7 * 8)


def test_a_410_enters_the_same_schedule(loopback_config: LoopbackConfig) -> None:
    with _GoneServer() as server:
        config = loopback_config(**_flaky(server.url, after=5))
        with open_store(":memory:") as store:
            fetched = _gather_runs(config, store, 8)
            state = store.feed_states([server.url])[server.url]
            assert state.gone
    # Gone on its first answer: left out 1 run, tried, then 2 left out (its failures keep counting).
    assert fetched == [0, 2, 5] and server.hits == 3


def test_revive_and_the_true_last_success(
    tmp_path: Path, feed_server: FeedServer, loopback_config: LoopbackConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    flaky = feed_server.root / "feeds" / "flaky.xml"
    shutil.copy(feed_server.root / "feeds" / "harbor-tech.xml", flaky)
    path = loopback_config.write(**_flaky(feed_server.url("feeds/flaky.xml")))
    config = load_config(path)
    with open_store(tmp_path / "state.db") as opened:
        store = opened.scoped(config.digest.key)  # as a run does: the CLI reads this digest's feeds
        assert _gather_runs(config, store, 1) == [0]
        flaky.unlink()
        assert _gather_runs(config, store, 3, start=1) == [1, 2]
    assert main(["status", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    # The last success is the run that worked, not "never" because the latest attempts failed.
    assert "last success 2026-11-23 09:00, 2 failures in a row QUARANTINED, next try next run" in out
    assert main(["feeds", "--config", str(path)]) == 0
    assert "QUARANTINED" in capsys.readouterr().out
    assert main(["feeds", "revive", "Flaky", "--config", str(path)]) == 0
    assert main(["feeds", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "QUARANTINED" not in out and "0 failures in a row" in out
    with open_store(tmp_path / "state.db") as opened:
        store = opened.scoped(config.digest.key)
        assert _gather_runs(config, store, 2, start=4) == [4, 5], "revived: tried every run until it fails twice"
    assert main(["feeds", "revive", "Nobody", "--config", str(path)]) == 1


class _GoneServer:
    """A loopback HTTP server that answers every request 410 Gone and counts them."""

    def __init__(self) -> None:
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                self.send_response(410)
                self.send_header("Content-Length", "4")
                self.end_headers()
                self.wfile.write(b"gone")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/feed.xml"

    def __enter__(self) -> _GoneServer:
        self._stack = ExitStack()
        self._stack.enter_context(serving(self.httpd))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
