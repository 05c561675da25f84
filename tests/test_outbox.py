"""Delivery as an outbox: stored pending, sent, recorded per recipient, then marked sent with its articles."""

from __future__ import annotations

import json
import smtplib
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from digest import Pipeline, RunReport, Services, SmtpMailer
from digest.cli import main
from digest.config import Config, SmtpConfig
from digest.deliver import SmtpFactory
from digest.store import Store, open_store

from .conftest import EXAMPLE_NOW, FeedServer, LoopbackConfig, SmtpServer

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
RECIPIENTS = ("ann@example.org", "bob@example.org")


def _outbox_week(
    server: FeedServer, smtp: SmtpServer, *, to: tuple[str, ...] = RECIPIENTS, **digest: Any
) -> dict[str, Any]:
    """The example feeds, through the OPML list, to ``to`` over SMTP; ``digest`` adds to the [digest] table."""
    return {
        "digest": {"title": "Outbox Weekly", **digest},
        "sources": [{"opml": server.url("subscriptions.opml")}],
        "email": {"sender": "Outbox Weekly <weekly@example.org>", "to": list(to)},
        "smtp": smtp,
    }


def _run(config: Config, store: Store, now: datetime = NOW, *, connect: SmtpFactory | None = None) -> RunReport:
    mailer = None if connect is None else SmtpMailer(config.email, env={}, connect=connect)
    return Pipeline(config, Services(env={}, mailer=mailer), store=store).run(now)


def _ids(messages: list[tuple[list[str], Message]]) -> list[str]:
    return [str(m["Message-ID"]) for _, m in messages]


def test_a_failed_digest_stays_pending_and_goes_out_whole_before_any_new_one(
    tmp_path: Path,
    feed_server: FeedServer,
    smtp_server: SmtpServer,
    store_location: str,
    loopback_config: LoopbackConfig,
) -> None:
    config = loopback_config(**_outbox_week(feed_server, smtp_server))
    smtp_server.recorder.refuse_all = True
    with open_store(store_location) as store:
        failed = _run(config, store)
        assert failed.status == "failed" and failed.delivered_to == ()
        (entry,) = store.outbox.pending()
        assert entry.issue.id == "2026-W48" and entry.undelivered == RECIPIENTS
        assert store.count("seen") == 0
        assert not (tmp_path / "site").exists(), "nothing is published before it is delivered"

        smtp_server.recorder.refuse_all = False
        later = _run(config, store, NOW + timedelta(days=7))
        assert later.resent == ("2026-W48",) and later.completed == ("2026-W48",)
        assert later.status == "sent"
        assert store.outbox.pending() == ()
        assert store.count("seen") == len(entry.articles) > 0
        assert [i.id for i in store.outbox.issues()] == ["2026-W48"]
    messages = smtp_server.recorder.messages
    assert [r for r, _ in messages] == [[r] for r in RECIPIENTS], "the week after had nothing new"
    for _, message in messages:
        assert f"Message-ID: {message['Message-ID']}".encode() in entry.message, "the stored message, same Message-ID"
        assert "2026-W48" in str(message["Subject"])


def test_a_crash_after_the_server_accepted_resends_the_same_message(
    feed_server: FeedServer,
    smtp_server: SmtpServer,
    store_location: str,
    loopback_config: LoopbackConfig,
) -> None:
    config = loopback_config(**_outbox_week(feed_server, smtp_server))

    class Killed(BaseException):
        """The process dying between the server's 250 and the store write: no real server can do this."""

    def dies_after_send(smtp: SmtpConfig) -> smtplib.SMTP:
        class Dying(smtplib.SMTP):
            def send_message(self, *args: Any, **kwargs: Any) -> Any:
                super().send_message(*args, **kwargs)
                raise Killed

        return Dying(smtp.host, smtp.port)

    with open_store(store_location) as store:
        with pytest.raises(Killed):
            _run(config, store, connect=dies_after_send)
        assert store.count("seen") == 0 and store.outbox.pending()[0].undelivered == RECIPIENTS
        again = _run(config, store)
        assert again.resent == ("2026-W48",) and again.status == "sent"
    received = smtp_server.recorder.messages
    assert [r for r, _ in received] == [["ann@example.org"], ["ann@example.org"], ["bob@example.org"]]
    assert len(set(_ids(received))) == 1, "a re-send is the same message, so mail clients show it once"


def test_a_partial_delivery_resends_only_to_whoever_did_not_get_it(
    tmp_path: Path, feed_server: FeedServer, smtp_server: SmtpServer, loopback_config: LoopbackConfig
) -> None:
    config = loopback_config(**_outbox_week(feed_server, smtp_server))
    smtp_server.recorder.refuse_all = True
    with open_store(tmp_path / "state.db") as store:
        _run(config, store)
        # As a crash between two per-recipient sends leaves it: ann's delivery recorded, bob's not.
        with store.transaction():
            store.outbox.record_delivery("2026-W48", ["ann@example.org"], state="sent", at=NOW)
        smtp_server.recorder.refuse_all = False
        report = _run(config, store)
        assert report.delivered_to == ("bob@example.org",)
        assert report.status == "sent"
    assert [r for r, _ in smtp_server.recorder.messages] == [["bob@example.org"]]


def test_a_refused_recipient_is_reported_and_does_not_block_the_digest(
    tmp_path: Path,
    feed_server: FeedServer,
    smtp_server: SmtpServer,
    loopback_config: LoopbackConfig,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config_path = loopback_config.write(**_outbox_week(feed_server, smtp_server))
    smtp_server.recorder.refuse = {"bob@example.org"}
    assert main(["run", "--config", str(config_path), "--now", EXAMPLE_NOW]) == 2
    err = capsys.readouterr().err
    assert "bob@example.org: SMTP refused: 550" in err and "some recipients were refused" in err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["status"] == "partial" and report["refused"] == ["bob@example.org"]
    assert report["completed"] == ["2026-W48"]
    assert main(["run", "--config", str(config_path), "--now", EXAMPLE_NOW]) == 0
    assert [r for r, _ in smtp_server.recorder.messages] == [["ann@example.org"]]


def test_a_site_that_cannot_be_written_keeps_the_articles_unseen(
    tmp_path: Path, feed_server: FeedServer, smtp_server: SmtpServer, loopback_config: LoopbackConfig
) -> None:
    (tmp_path / "blocker").write_text("a file where the site's parent folder should be")
    config_path = loopback_config.write(**_outbox_week(feed_server, smtp_server), site={"dir": "blocker/site"})
    assert main(["run", "--config", str(config_path), "--now", EXAMPLE_NOW]) == 2
    with open_store(tmp_path / "state.db") as store:
        assert store.count("seen") == 0
        assert store.outbox.pending()[0].undelivered == (), "delivered, waiting only for the site"

    config_path = loopback_config.write(**_outbox_week(feed_server, smtp_server))
    assert main(["run", "--config", str(config_path), "--now", EXAMPLE_NOW]) == 0
    assert len(smtp_server.recorder.messages) == len(RECIPIENTS), "publishing again sends nothing again"
    assert (tmp_path / "site" / "issues" / "2026-W48" / "index.html").is_file()
    with open_store(tmp_path / "state.db") as store:
        assert store.count("seen") > 0 and store.outbox.pending() == ()


def test_a_recipient_removed_from_the_config_no_longer_blocks_a_pending_digest(
    tmp_path: Path, feed_server: FeedServer, smtp_server: SmtpServer, loopback_config: LoopbackConfig
) -> None:
    config = loopback_config(**_outbox_week(feed_server, smtp_server))
    smtp_server.recorder.refuse_all = True
    with open_store(tmp_path / "state.db") as store:
        _run(config, store)
        smtp_server.recorder.refuse_all = False
        fixed = loopback_config(**_outbox_week(feed_server, smtp_server, to=("ann@example.org", "carol@example.org")))
        report = _run(fixed, store)
        assert report.delivered_to == ("ann@example.org",) and report.refused == ("bob@example.org",)
    assert [r for r, _ in smtp_server.recorder.messages] == [["ann@example.org"]]


@pytest.mark.parametrize(("setting", "code"), [({}, 0), ({"nothing_new_exit": 3}, 3)])
def test_nothing_new_exits_as_configured_with_a_warning(
    tmp_path: Path,
    feed_server: FeedServer,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    loopback_config: LoopbackConfig,
    setting: dict[str, int],
    code: int,
) -> None:
    config_path = loopback_config.write(**_outbox_week(feed_server, smtp_server, **setting))
    assert main(["run", "--config", str(config_path), "--now", EXAMPLE_NOW]) == 0
    capsys.readouterr()
    assert main(["run", "--config", str(config_path), "--now", EXAMPLE_NOW]) == code
    assert "nothing new" in capsys.readouterr().err
    assert json.loads((tmp_path / "out" / "report.json").read_text())["status"] == "nothing_new"


def test_an_overlapping_run_exits_with_a_clear_message_and_changes_nothing(
    tmp_path: Path,
    feed_server: FeedServer,
    smtp_server: SmtpServer,
    loopback_config: LoopbackConfig,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config_path = loopback_config.write(**_outbox_week(feed_server, smtp_server))
    with open_store(tmp_path / "state.db") as holder, holder.lock():
        assert main(["run", "--config", str(config_path), "--now", EXAMPLE_NOW]) == 1
        assert "another digest run is in progress (pid" in capsys.readouterr().err
        assert holder.count("issues") == 0 and holder.count("runs") == 0
    assert smtp_server.recorder.messages == []
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["status"].startswith("error: another digest run")
