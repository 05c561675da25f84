"""The window is the window: a run carries what was published in it, nothing later, and says what it left out.

Backfilling past weeks (`digest run --now …`, as the README and the generated workflow offer) against a
real feed served on loopback that already holds later articles gives each article to exactly one week,
run in order or not; an article dated after `now` is neither in the issue nor marked seen.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from digest.cli import main

from .conftest import FeedServer, LoopbackConfig, free_port
from .weekly import article_ids_in, story, write_feed

WEEKS = {
    "2018-01-08T09:00:00Z": "2018-W02",
    "2018-01-15T09:00:00Z": "2018-W03",
    "2018-01-22T09:00:00Z": "2018-W04",
}
# Two articles strictly inside each of the three weeks, and three published after all of them.
DATES = {
    0: datetime(2018, 1, 3, 12, tzinfo=UTC),
    1: datetime(2018, 1, 6, 12, tzinfo=UTC),
    2: datetime(2018, 1, 10, 12, tzinfo=UTC),
    3: datetime(2018, 1, 13, 12, tzinfo=UTC),
    4: datetime(2018, 1, 17, 12, tzinfo=UTC),
    5: datetime(2018, 1, 20, 12, tzinfo=UTC),
    6: datetime(2018, 1, 30, 12, tzinfo=UTC),
    7: datetime(2018, 1, 31, 12, tzinfo=UTC),
    8: datetime(2020, 3, 1, 12, tzinfo=UTC),
}
LATER = {"6", "7", "8"}
UNDATED = "9"


def _served_feed(server: FeedServer) -> str:
    """One feed holding every week's articles, the later ones and one without a date, served over HTTP."""
    path = write_feed(server.root / "wire.xml", [story(n, when) for n, when in DATES.items()])
    undated = story(int(UNDATED), DATES[0])
    item = (
        f"<item><guid isPermaLink='false'>{undated.guid}</guid><title>{undated.title}</title>"
        f"<link>https://example.org/{UNDATED}</link><description>{undated.text}</description></item>"
    )
    path.write_text(path.read_text(encoding="utf-8").replace("</channel>", item + "</channel>"), encoding="utf-8")
    return server.url("wire.xml")


def _backfill(order: list[str], server: FeedServer, loopback_config: LoopbackConfig) -> dict[str, set[str]]:
    """Run ``digest run --now`` for each week in ``order``; the article numbers each issue's .eml carries."""
    config = loopback_config.write(sources=[{"url": _served_feed(server), "name": "Wire"}])
    for now in order:
        assert main(["run", "--config", str(config), "--now", now]) == 0
        report = json.loads((config.parent / "out" / "report.json").read_text(encoding="utf-8"))
        assert report["status"] == "sent" and report["digest_id"] == WEEKS[now]
    issues = {}
    for issue in WEEKS.values():
        message = BytesParser(policy=policy.default).parsebytes(
            (config.parent / "outbox" / issue / "ann@example.org.eml").read_bytes()  # the reader's copy
        )
        assert isinstance(message, EmailMessage)
        issues[issue] = article_ids_in(message)
        text = (config.parent / "out" / issue / "digest.txt").read_text(encoding="utf-8")
        assert set(re.findall(r"https://example\.org/(\d+)\b", text)) == issues[issue], issue
    return issues


def _seen(state: Path) -> dict[str, str]:
    """Article number → the issue the seen store says carried it."""
    with sqlite3.connect(state) as db:
        rows = db.execute("SELECT article_id, digest_id FROM seen").fetchall()
    return {str(article).rpartition(":")[2]: str(issue) for article, issue in rows}


@pytest.mark.parametrize(
    "order",
    [list(WEEKS), ["2018-01-22T09:00:00Z", "2018-01-08T09:00:00Z", "2018-01-15T09:00:00Z"]],
    ids=["in-order", "out-of-order"],
)
def test_backfilled_weeks_each_carry_their_own_articles_once(
    order: list[str], tmp_path: Path, feed_server: FeedServer, loopback_config: LoopbackConfig
) -> None:
    issues = _backfill(order, feed_server, loopback_config)
    # The undated article is dated when first seen: by the first run, whichever week that is.
    first = WEEKS[order[0]]
    expected = {"2018-W02": {"0", "1"}, "2018-W03": {"2", "3"}, "2018-W04": {"4", "5"}}
    expected[first] |= {UNDATED}
    assert issues == expected
    seen = _seen(tmp_path / "state.db")
    assert seen == {n: issue for issue, numbers in expected.items() for n in numbers}
    assert not LATER & set(seen), "an article published after every run's now is marked seen"


def test_a_past_now_leaves_later_articles_out_and_counts_them(
    tmp_path: Path, feed_server: FeedServer, loopback_config: LoopbackConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    config = loopback_config.write(sources=[{"url": _served_feed(feed_server), "name": "Wire"}])
    assert main(["run", "--config", str(config), "--now", "2018-01-08T09:00:00Z"]) == 0
    out = capsys.readouterr().out
    # Weeks 2 and 3, 30-31 January and 2020: seven articles after the window, none before it.
    assert "outside the window: 0 before it, 7 after it (they wait for their own week)" in out
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["outside_window"] == {"before": 0, "after": 7}
    assert report["articles_new"] == 3
    later = {story(int(n), DATES[int(n)]).title for n in LATER}
    assert not later & {r["label"] for r in report["ranking"]}, "a later article leads a story, dated as now"
    text = (tmp_path / "out" / "2018-W02" / "digest.txt").read_text(encoding="utf-8")
    assert set(re.findall(r"https://example\.org/(\d+)\b", text)) == {"0", "1", UNDATED}
    assert set(_seen(tmp_path / "state.db")) == {"0", "1", UNDATED}


def test_the_next_run_counts_what_was_already_sent(
    tmp_path: Path, feed_server: FeedServer, loopback_config: LoopbackConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    config = loopback_config.write(
        digest={"window_days": 14},
        sources=[{"url": _served_feed(feed_server), "name": "Wire"}],
        filters=[{"action": "drop", "name": "no-bakery", "keywords": ["bakery3"]}],
    )
    assert main(["run", "--config", str(config), "--now", "2018-01-08T09:00:00Z"]) == 0
    capsys.readouterr()
    assert main(["run", "--config", str(config), "--now", "2018-01-15T09:00:00Z"]) == 0
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    # Fourteen days back reach over the first issue: what it carried is counted as sent, not new.
    assert report["outside_window"] == {"before": 0, "after": 5}
    assert report["already_seen"] == 3 and report["filtered"] == {"no-bakery": 1}
    assert report["articles_new"] == 2 and report["stories"] == 1
    assert "already sent: 3" in out and "dropped by no-bakery: 1" in out
    assert "outside the window: 0 before it, 5 after it" in out


def test_every_source_failing_is_not_nothing_new(
    tmp_path: Path, feed_server: FeedServer, loopback_config: LoopbackConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    dead = [{"url": feed_server.url("missing.xml")}, {"url": f"http://127.0.0.1:{free_port()}/feed.xml"}]
    config = loopback_config.write(sources=dead)
    assert main(["run", "--config", str(config), "--now", "2018-01-08T09:00:00Z"]) == 3
    err = capsys.readouterr().err
    assert "Error: no source could be read" in err and "nothing new" not in err
    assert "missing.xml" in err and "feed.xml" in err, "each failed source is named"
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["status"] == "sources_failed"
    assert main(["run", "--config", str(config), "--now", "2018-01-08T09:00:00Z", "--dry-run"]) == 3
    preview = ["preview", "--config", str(config), "--now", "2018-01-08T09:00:00Z", "--out", str(tmp_path / "p")]
    assert main(preview) == 3


def test_one_source_read_is_nothing_new_again(
    tmp_path: Path, feed_server: FeedServer, loopback_config: LoopbackConfig
) -> None:
    old = write_feed(feed_server.root / "old.xml", [story(0, datetime(2017, 1, 1, tzinfo=UTC))])
    sources = [{"url": feed_server.url(old.name)}, {"url": feed_server.url("missing.xml")}]
    config = loopback_config.write(sources=sources)
    assert main(["run", "--config", str(config), "--now", "2018-01-08T09:00:00Z"]) == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["status"] == "nothing_new" and report["outside_window"] == {"before": 1, "after": 0}


def test_a_config_without_sources_is_a_config_error_with_a_report(
    tmp_path: Path, loopback_config: LoopbackConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    config = loopback_config.write()
    assert main(["run", "--config", str(config), "--now", "2018-01-08T09:00:00Z"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"Error: {config}: sources: none given") and "add at least one [[sources]]" in err
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["status"].startswith("error: ") and "sources: none given" in report["status"]
    assert report["now"] == "2018-01-08T09:00:00+00:00"


def test_a_config_that_does_not_load_still_writes_its_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "digest.toml"
    config.write_text('[digest]\ntitle = "Weekly"\noutput = "reports"\nwindow_days = "seven"\n', encoding="utf-8")
    assert main(["run", "--config", str(config)]) == 1
    assert "window_days" in capsys.readouterr().err
    report = json.loads((tmp_path / "reports" / "report.json").read_text(encoding="utf-8"))
    assert report["status"].startswith("error: ") and "window_days" in report["status"]
    # Not valid TOML: the report goes to the default output folder beside the file.
    config.write_text("[digest\n", encoding="utf-8")
    assert main(["run", "--config", str(config), "--dry-run"]) == 1
    report = json.loads((tmp_path / "output" / "report.json").read_text(encoding="utf-8"))
    assert "not valid TOML" in report["status"] and report["dry_run"] is True
    # A --config path whose folder does not exist: no folder is made for the report.
    assert main(["run", "--config", str(tmp_path / "nowhere" / "digest.toml")]) == 1
    assert not (tmp_path / "nowhere").exists()


def test_a_long_dead_feed_is_stale_in_digest_feeds(
    tmp_path: Path, feed_server: FeedServer, loopback_config: LoopbackConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    dead = write_feed(feed_server.root / "dead.xml", [story(0, datetime(2015, 3, 2, 8, tzinfo=UTC))])
    alive = write_feed(feed_server.root / "alive.xml", [story(1, now - timedelta(days=2))])
    sources = [{"url": feed_server.url(dead.name)}, {"url": feed_server.url(alive.name)}]
    config = loopback_config.write(sources=sources)
    assert main(["run", "--config", str(config), "--now", now.isoformat()]) == 0
    capsys.readouterr()
    assert main(["feeds", "--config", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()
    (dead_line,) = [line for line in lines if "dead.xml" in line]
    (alive_line,) = [line for line in lines if "alive.xml" in line]
    assert "0 failures in a row STALE: nothing new since 2015-03-02" in dead_line
    assert "STALE" not in alive_line
    # A longer fetch.stale_days forgives it.
    config = loopback_config.write(sources=sources, fetch={"stale_days": 5000})
    assert main(["feeds", "--config", str(config)]) == 0
    assert "STALE" not in capsys.readouterr().out


def test_a_copy_from_the_same_source_is_counted_as_folded(
    tmp_path: Path, feed_server: FeedServer, loopback_config: LoopbackConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    original = story(0, DATES[0])
    path = write_feed(feed_server.root / "copies.xml", [original])
    copy = (
        f"<item><guid isPermaLink='false'>urn:test:copy</guid><title>{original.title}</title>"
        f"<link>https://example.org/0?CMP=share</link><pubDate>Wed, 03 Jan 2018 13:00:00 GMT</pubDate>"
        f"<description>{original.text}</description></item>"
    )
    path.write_text(path.read_text(encoding="utf-8").replace("</channel>", copy + "</channel>"), encoding="utf-8")
    config = loopback_config.write(sources=[{"url": feed_server.url(path.name)}])
    assert main(["run", "--config", str(config), "--now", "2018-01-08T09:00:00Z"]) == 0
    assert "copies folded: 1" in capsys.readouterr().out
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert (report["articles_gathered"], report["copies"], report["articles_new"]) == (2, 1, 1)


def test_an_opml_list_that_cannot_be_read_is_a_source_that_failed(
    tmp_path: Path, feed_server: FeedServer, loopback_config: LoopbackConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "list.opml").write_text("<opml><body><outline", encoding="utf-8")
    sources = [{"opml": "list.opml"}, {"opml": feed_server.url("missing.opml")}]
    config = loopback_config.write(sources=sources)
    assert main(["run", "--config", str(config), "--now", "2018-01-08T09:00:00Z"]) == 3
    err = capsys.readouterr().err
    assert "list.opml" in err and "missing.opml" in err and "no source could be read" in err
