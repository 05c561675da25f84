"""``digest run --to ADDRESS``: the week sent to one address only; nothing marked, nothing stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from digest.cli import main
from digest.store import open_store

from .conftest import EXAMPLE_NOW, FeedServer, LoopbackConfig, SmtpServer


def _harbor(server: FeedServer, smtp: SmtpServer | None) -> dict[str, Any]:
    """One feed over HTTP to ann and bob, over SMTP or (``smtp`` None) into the outbox folder."""
    return {
        "sources": [{"url": server.url("feeds/harbor-tech.xml")}],
        "email": {"to": ["ann@example.org", "bob@example.org"]},
        "smtp": smtp,
    }


def _tables(path: Path) -> dict[str, int]:
    if not path.exists():
        return {}
    with open_store(path) as store:
        return {t: store.count(t) for t in ("seen", "issues", "runs", "deliveries", "feeds", "first_seen")}


def test_test_send_reaches_only_that_address_and_changes_nothing(
    tmp_path: Path,
    loopback_config: LoopbackConfig,
    feed_server: FeedServer,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = loopback_config.write(**_harbor(feed_server, smtp_server))
    state = tmp_path / "state.db"
    assert main(["run", "--config", str(config), "--now", EXAMPLE_NOW, "--to", "me@example.org"]) == 0
    assert [r for r, _ in smtp_server.recorder.messages] == [["me@example.org"]]
    test_message = smtp_server.recorder.messages[0][1]
    assert test_message["To"] == "me@example.org"
    out = capsys.readouterr().out
    assert "nothing was marked seen and nothing stored" in out
    assert not state.exists(), "a test send opens no store for writing"
    assert json.loads((tmp_path / "out" / "report.json").read_text())["status"] == "test_send"

    # The real run still sends everything to everyone, under a Message-ID of its own.
    assert main(["run", "--config", str(config), "--now", EXAMPLE_NOW]) == 0
    real = [m for r, m in smtp_server.recorder.messages[1:]]
    assert [r for r, _ in smtp_server.recorder.messages[1:]] == [["ann@example.org"], ["bob@example.org"]]
    assert real[0]["Message-ID"] != test_message["Message-ID"]
    assert real[0]["Subject"] == test_message["Subject"]
    assert _tables(state)["seen"] > 0


def test_test_send_without_smtp_writes_a_file_only(
    tmp_path: Path, loopback_config: LoopbackConfig, feed_server: FeedServer
) -> None:
    config = loopback_config.write(**_harbor(feed_server, None))
    assert main(["run", "--config", str(config), "--now", EXAMPLE_NOW, "--to", "me@example.org"]) == 0
    [eml] = (tmp_path / "outbox").rglob("*.eml")
    assert eml.parent.name.endswith("-test") and eml.name == "me@example.org.eml"
    assert "To: me@example.org" in eml.read_text()
    assert not (tmp_path / "site").exists()
    assert _tables(tmp_path / "state.db").get("seen", 0) == 0


def test_to_and_dry_run_are_refused(loopback_config: LoopbackConfig, feed_server: FeedServer) -> None:
    config = loopback_config.write(**_harbor(feed_server, None))
    assert main(["run", "--config", str(config), "--to", "me@example.org", "--dry-run"]) == 1


@pytest.mark.parametrize(
    "address",
    ["me@example.org\r\nBcc: everyone@example.org", "Me <me@example.org>", "me", "a@b@c", "me@example.org, you@x.org"],
)
def test_a_test_send_address_must_be_one_plain_address(
    loopback_config: LoopbackConfig,
    feed_server: FeedServer,
    smtp_server: SmtpServer,
    address: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = loopback_config.write(**_harbor(feed_server, smtp_server))
    assert main(["run", "--config", str(config), "--now", EXAMPLE_NOW, "--to", address]) == 1
    assert "not an e-mail address" in capsys.readouterr().err
    assert smtp_server.recorder.messages == []
