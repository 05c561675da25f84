"""``digest run --to ADDRESS``: the week sent to one address only; nothing marked, nothing stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.cli import main
from digest.store import open_store

from .conftest import EXAMPLE_NOW, FeedServer, SmtpServer, write_config


def _config(tmp_path: Path, server: FeedServer, smtp: SmtpServer | None) -> Path:
    email = f'[email.smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\nsecurity = "none"\n' if smtp is not None else ""
    return write_config(
        tmp_path / "digest.toml",
        f"""
[digest]
title = "Loopback Weekly"
state = "state.db"
output = "out"

[[sources]]
url = "{server.url("feeds/harbor-tech.xml")}"

[fetch]
allow_networks = ["127.0.0.1/32"]

[email]
sender = "Loopback Weekly <weekly@example.org>"
to = ["ann@example.org", "bob@example.org"]
outbox = "outbox"

{email}
""",
    )


def _tables(path: Path) -> dict[str, int]:
    if not path.exists():
        return {}
    with open_store(path) as store:
        return {t: store.count(t) for t in ("seen", "issues", "runs", "deliveries", "feeds", "first_seen")}


def test_test_send_reaches_only_that_address_and_changes_nothing(
    tmp_path: Path, feed_server: FeedServer, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, feed_server, smtp_server)
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


def test_test_send_without_smtp_writes_a_file_only(tmp_path: Path, feed_server: FeedServer) -> None:
    config = _config(tmp_path, feed_server, None)
    assert main(["run", "--config", str(config), "--now", EXAMPLE_NOW, "--to", "me@example.org"]) == 0
    [eml] = (tmp_path / "outbox").glob("*.eml")
    assert eml.name.endswith("-test.eml")
    assert "To: me@example.org" in eml.read_text()
    assert not (tmp_path / "site").exists()
    assert _tables(tmp_path / "state.db").get("seen", 0) == 0


def test_to_and_dry_run_are_refused(tmp_path: Path, feed_server: FeedServer) -> None:
    config = _config(tmp_path, feed_server, None)
    assert main(["run", "--config", str(config), "--to", "me@example.org", "--dry-run"]) == 1


@pytest.mark.parametrize(
    "address",
    ["me@example.org\r\nBcc: everyone@example.org", "Me <me@example.org>", "me", "a@b@c", "me@example.org, you@x.org"],
)
def test_a_test_send_address_must_be_one_plain_address(
    tmp_path: Path, feed_server: FeedServer, smtp_server: SmtpServer, address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, feed_server, smtp_server)
    assert main(["run", "--config", str(config), "--now", EXAMPLE_NOW, "--to", address]) == 1
    assert "not an e-mail address" in capsys.readouterr().err
    assert smtp_server.recorder.messages == []
