"""The weekly run end to end: feeds over real HTTP, email through a real SMTP server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from digest import Pipeline, Services
from digest.cli import main
from digest.site import outline
from digest.store import open_store

from .conftest import EXAMPLE_NOW, FeedServer, LoopbackConfig, SmtpServer

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _week(server: FeedServer, smtp: SmtpServer, *more_sources: dict[str, str]) -> dict[str, Any]:
    """The example week over HTTP (through the OPML list) and from the saved folder, to two readers over SMTP."""
    sources = [{"opml": server.url("subscriptions.opml")}, {"folder": str(server.root / "saved")}, *more_sources]
    return {"sources": sources, "email": {"to": ["ann@example.org", "bob@example.org"]}, "smtp": smtp}


def test_run_delivers_over_smtp_then_sends_nothing_new(
    tmp_path: Path, feed_server: FeedServer, smtp_server: SmtpServer, loopback_config: LoopbackConfig
) -> None:
    config_path = loopback_config.write(**_week(feed_server, smtp_server))

    assert main(["run", "--config", str(config_path), "--now", EXAMPLE_NOW]) == 0

    # One message per recipient by default: no reader sees another's address.
    assert [r for r, _ in smtp_server.recorder.messages] == [["ann@example.org"], ["bob@example.org"]]
    _, message = smtp_server.recorder.messages[0]
    assert message["To"] == "ann@example.org"
    assert message.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    for header in ("Subject", "Date", "Message-ID", "From", "To"):
        assert message[header]
    assert "Eastern light rail" in message.get_body(("html",)).get_content() or "light rail" in str(message)
    # Feeds were fetched over HTTP, through the OPML list.
    assert "/feeds/harbor-tech.xml" in feed_server.requests
    assert "/feeds/city-ledger.json" in feed_server.requests
    assert (tmp_path / "site" / "index.html").is_file()

    assert main(["run", "--config", str(config_path), "--now", EXAMPLE_NOW]) == 0
    assert len(smtp_server.recorder.messages) == 2, "the second run of the same week must send nothing"
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["stories"] == 0


def test_refused_delivery_marks_nothing_seen_and_next_run_sends(
    tmp_path: Path, feed_server: FeedServer, smtp_server: SmtpServer, loopback_config: LoopbackConfig
) -> None:
    config = loopback_config(**_week(feed_server, smtp_server))
    smtp_server.recorder.refuse_all = True
    with open_store(tmp_path / "state.db") as store:
        report = Pipeline(config, Services(env={}), store=store).run(NOW)
        assert report.delivered_to == ()
        assert store.count("seen") == 0
        assert any("SMTP" in p.message for p in report.problems)

        smtp_server.recorder.refuse_all = False
        report = Pipeline(config, Services(env={}), store=store).run(NOW)
        assert report.delivered_to == ("ann@example.org", "bob@example.org")
        assert store.count("seen") == report.marked_seen > 0
        # The issue is stored with its outline, which the site reads instead of parsing the HTML again.
        [sent] = store.outbox.issues()
        assert sent.sections and sent.headlines and sent.sections == outline(sent.body_html).sections
    assert len(smtp_server.recorder.messages) == 2


def test_cli_exit_code_two_when_delivery_fails(
    feed_server: FeedServer,
    smtp_server: SmtpServer,
    loopback_config: LoopbackConfig,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config_path = loopback_config.write(**_week(feed_server, smtp_server))
    smtp_server.recorder.refuse_all = True
    assert main(["run", "--config", str(config_path), "--now", EXAMPLE_NOW]) == 2
    assert "Warning:" in capsys.readouterr().err


def test_bad_sources_are_reported_and_the_run_goes_on(
    tmp_path: Path, feed_server: FeedServer, smtp_server: SmtpServer, loopback_config: LoopbackConfig
) -> None:
    (feed_server.root / "not-a-feed.xml").write_text("this is plain text, not XML at all\n")
    extra = ({"url": feed_server.url("missing.xml")}, {"url": feed_server.url("not-a-feed.xml")})
    config = loopback_config(**_week(feed_server, smtp_server, *extra))
    with open_store(tmp_path / "state.db") as store:
        report = Pipeline(config, Services(env={}), store=store).run(NOW)
    by_source = {p.source: p for p in report.problems}
    missing = by_source[feed_server.url("missing.xml")]
    assert "404" in missing.message and missing.hint
    assert "not a feed" in by_source[feed_server.url("not-a-feed.xml")].message
    assert report.delivered_to and report.stories > 3


def test_dry_run_sends_and_marks_nothing(
    tmp_path: Path, feed_server: FeedServer, smtp_server: SmtpServer, loopback_config: LoopbackConfig
) -> None:
    config_path = loopback_config.write(**_week(feed_server, smtp_server))
    assert main(["run", "--config", str(config_path), "--now", EXAMPLE_NOW, "--dry-run"]) == 0
    assert smtp_server.recorder.messages == []
    with open_store(tmp_path / "state.db") as store:
        assert store.count("seen") == 0
        assert store.count("issues") == 0
    assert (tmp_path / "out" / "2026-W48" / "digest.md").is_file()


def test_preview_twice_is_byte_identical_and_leaves_no_state(
    tmp_path: Path, feed_server: FeedServer, smtp_server: SmtpServer, loopback_config: LoopbackConfig
) -> None:
    config_path = loopback_config.write(**_week(feed_server, smtp_server))
    for out in ("a", "b"):
        assert main(["preview", "--config", str(config_path), "--out", str(tmp_path / out), "--now", EXAMPLE_NOW]) == 0
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == ["digest.html", "digest.md", "digest.txt", "email.html"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert not (tmp_path / "state.db").exists()
    assert smtp_server.recorder.messages == []
