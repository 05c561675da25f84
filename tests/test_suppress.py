"""The suppression list: an unsubscribed address is never mailed, even while it is still in email.to."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from digest import Pipeline, Services
from digest.cli import main
from digest.store import open_store

from .conftest import EXAMPLE_NOW, FeedServer, LoopbackConfig, SmtpServer

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _harbor(server: FeedServer, smtp: SmtpServer) -> dict[str, Any]:
    """One feed over HTTP to ann and Bob over SMTP."""
    return {
        "sources": [{"url": server.url("feeds/harbor-tech.xml")}],
        "email": {"to": ["ann@example.org", "Bob <bob@example.org>"]},
        "smtp": smtp,
    }


def test_an_unsubscribed_address_in_email_to_is_never_mailed(
    tmp_path: Path,
    loopback_config: LoopbackConfig,
    feed_server: FeedServer,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = loopback_config.write(**_harbor(feed_server, smtp_server))
    assert main(["unsubscribe", "BOB@Example.org", "--config", str(config)]) == 0
    assert main(["run", "--config", str(config), "--now", EXAMPLE_NOW]) == 0
    assert [r for r, _ in smtp_server.recorder.messages] == [["ann@example.org"]]
    capsys.readouterr()
    assert main(["status", "--config", str(config)]) == 0
    assert "suppressed addresses: 1" in capsys.readouterr().out
    # A test send to it is refused too.
    assert main(["run", "--config", str(config), "--to", "bob@example.org"]) == 1
    assert "suppression list" in capsys.readouterr().err

    assert main(["unsubscribe", "bob@example.org", "--undo", "--config", str(config)]) == 0
    with open_store(tmp_path / "state.db") as store:
        assert store.suppression.addresses() == frozenset()


def test_an_address_unsubscribed_while_the_issue_waits_is_not_mailed(
    tmp_path: Path, loopback_config: LoopbackConfig, feed_server: FeedServer, smtp_server: SmtpServer
) -> None:
    config = loopback_config(**_harbor(feed_server, smtp_server))
    smtp_server.recorder.refuse_all = True
    with open_store(tmp_path / "state.db") as store:
        first = Pipeline(config, Services(env={}), store=store).run(NOW)
        assert first.status == "failed"
        with store.transaction():
            store.suppression.add(["ann@example.org"], at=NOW)
        smtp_server.recorder.refuse_all = False
        second = Pipeline(config, Services(env={}), store=store).run(NOW)
        assert second.status == "sent" and second.delivered_to == ("Bob <bob@example.org>",)
        assert second.suppressed == 1
        rows = store.query("SELECT recipient, state, detail FROM deliveries ORDER BY recipient")
        assert ("ann@example.org", "suppressed", "unsubscribed") in rows
    assert [r for r, _ in smtp_server.recorder.messages] == [["bob@example.org"]]


def test_unsubscribe_takes_plain_addresses_only(
    tmp_path: Path,
    loopback_config: LoopbackConfig,
    feed_server: FeedServer,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = loopback_config.write(**_harbor(feed_server, smtp_server))
    assert main(["unsubscribe", "ann@example.org\nx", "--config", str(config)]) == 1
    assert "not an e-mail address" in capsys.readouterr().err
    assert not (tmp_path / "state.db").exists()
