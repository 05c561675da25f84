"""Addresses are checked when the config loads, and SMTP is given exactly the address a run reports."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from digest.addresses import parse_mailbox
from digest.cli import main
from digest.config import EmailConfig, load_config, parse_config
from digest.deliver import addressed, compose
from digest.errors import ConfigError
from digest.store import is_address

from .conftest import EXAMPLE_NOW, FeedServer, LoopbackConfig, SmtpServer

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MALFORMED = ["reader@@ux.example", "reader at ux.example", "Ann <ann@ux.example"]


def _email(**email: Any) -> dict[str, Any]:
    return {"email": {"sender": "Weekly <weekly@ux.example>", "to": ["ann@ux.example"], **email}}


@pytest.mark.parametrize("bad", MALFORMED)
def test_a_malformed_recipient_is_a_config_error_naming_the_key_and_the_value(
    tmp_path: Path, loopback_config: LoopbackConfig, bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = loopback_config.write(email={"to": ["ann@ux.example", bad]})
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key == "email.to[1]" and repr(bad) in caught.value.message
    assert main(["run", "--config", str(path), "--now", EXAMPLE_NOW]) == 1
    err = capsys.readouterr().err
    assert f"email.to[1]: not an e-mail address: {bad!r}" in err
    assert not (tmp_path / "outbox").exists() and not (tmp_path / "state.db").exists()


def test_every_malformed_recipient_is_named_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(_email(to=[*MALFORMED, "bob@ux.example"]))
    assert caught.value.key == "email.to" and caught.value.message.startswith("3 entries are not e-mail addresses")
    for i, bad in enumerate(MALFORMED):
        assert f"[{i}] {bad!r}: " in caught.value.message


def test_the_reasons_say_what_is_wrong() -> None:
    reasons = {}
    for bad in [*MALFORMED, "weekly", "a@b.example, c@d.example", "Ann <ann@ux.example>\r\nBcc: x@evil.example"]:
        with pytest.raises(ValueError) as caught:
            parse_mailbox(bad)
        reasons[bad] = str(caught.value)
    assert "invalid characters: '@'" in reasons["reader@@ux.example"]
    assert "must have an @-sign" in reasons["reader at ux.example"] and "@-sign" in reasons["weekly"]
    assert "missing trailing '>'" in reasons["Ann <ann@ux.example"]
    assert "one address per entry" in reasons["a@b.example, c@d.example"]
    assert "line break" in reasons["Ann <ann@ux.example>\r\nBcc: x@evil.example"]


def test_sender_weekly_is_refused_and_the_outbox_default_needs_no_sender() -> None:
    with pytest.raises(ConfigError, match="'weekly'") as caught:
        parse_config(_email(sender="weekly"))
    assert caught.value.key == "email.sender" and "@-sign" in caught.value.message
    assert parse_config({"email": {"to": ["ann@ux.example"]}}).email.smtp is None  # digest@localhost, outbox only
    with pytest.raises(ConfigError, match="no sender") as caught:
        parse_config({"email": {"to": ["ann@ux.example"], "smtp": {"host": "127.0.0.1"}}})
    assert caught.value.key == "email.sender"


def test_well_formed_display_names_and_international_domains_are_kept() -> None:
    to = ["Ann <ann@ux.example>", '"Doe, John" <john@ux.example>', "Zoë Ünal <zoe@bücher.example>", "bob@ux.example"]
    assert parse_config(_email(to=to)).email.to == tuple(to)
    assert parse_mailbox("Zoë Ünal <zoe@bücher.example>").address == "zoe@xn--bcher-kva.example"
    with pytest.raises(ConfigError, match="Internationalized characters before the @-sign"):
        parse_config(_email(to=["zoë@ux.example"]))  # would need SMTPUTF8 from every server on the way


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("unsubscribe_mailto", "leave at ux.example"),
        ("unsubscribe_mailto", "Leave <leave@ux.example>"),
        ("unsubscribe_mailto", "leave@ux.example?subject=x"),
        ("unsubscribe_url", "javascript:alert(1)"),
        ("unsubscribe_url", "https://ux.example/u?who={recipient}>, <https://evil.example/"),
        ("unsubscribe_url", "https://ux.example/u\r\nBcc: x@evil.example"),
        ("unsubscribe_url", "https://[::1/u"),
        ("unsubscribe_url", "ux.example/unsubscribe"),
    ],
)
def test_unsubscribe_addresses_and_urls_are_checked(key: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(_email(**{key: value}))
    assert caught.value.key == f"email.{key}" and repr(value) in caught.value.message


def test_test_send_and_unsubscribe_addresses_are_checked_the_same_way(
    loopback_config: LoopbackConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    path = loopback_config.write(sources=[{"url": "https://example.org/feed.xml"}])
    assert main(["run", "--config", str(path), "--to", "reader at ux.example"]) == 1
    assert "Error: --to: not an e-mail address: 'reader at ux.example': An email address must have an @-sign" in (
        capsys.readouterr().err
    )
    assert main(["unsubscribe", "--config", str(path), "reader@@ux.example"]) == 1
    assert "ADDRESS: not an e-mail address: 'reader@@ux.example'" in capsys.readouterr().err
    assert is_address("ann@ux.example") and not is_address("Ann <ann@ux.example>") and not is_address("ann@@x.example")


def test_smtp_is_given_the_address_the_run_reports(
    tmp_path: Path,
    loopback_config: LoopbackConfig,
    feed_server: FeedServer,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    to = ["Ann <ann@ux.example>", "bob@ux.example", "Zoë <zoe@bücher.example>"]
    path = loopback_config.write(
        sources=[{"url": feed_server.url("feeds/harbor-tech.xml")}],
        email={"to": to, "unsubscribe_mailto": "leave@ux.example"},
        smtp=smtp_server,
    )
    assert main(["run", "--config", str(path), "--now", EXAMPLE_NOW]) == 0
    out = capsys.readouterr().out
    assert f"delivered to: {', '.join(to)}" in out
    envelopes = [rcpt for rcpt, _ in smtp_server.recorder.messages]
    assert envelopes == [["ann@ux.example"], ["bob@ux.example"], ["zoe@xn--bcher-kva.example"]]
    headers = [str(message["To"]) for _, message in smtp_server.recorder.messages]
    assert headers == ["Ann <ann@ux.example>", "bob@ux.example", "Zoë <zoe@xn--bcher-kva.example>"]


def test_outbox_files_are_addressed_as_smtp_would_address_them(
    tmp_path: Path, loopback_config: LoopbackConfig, feed_server: FeedServer
) -> None:
    path = loopback_config.write(
        sources=[{"url": feed_server.url("feeds/harbor-tech.xml")}],
        email={"to": ["Ann <ann@ux.example>", "a/b@ux.example"], "unsubscribe_mailto": "leave@ux.example"},
    )
    assert main(["run", "--config", str(path), "--now", EXAMPLE_NOW]) == 0
    files = sorted((tmp_path / "outbox" / "2026-W48").glob("*.eml"))
    assert [f.name.split("-")[0] for f in files] == ["a_b@ux.example", "ann@ux.example.eml"]
    parsed = [BytesParser(policy=policy.default).parsebytes(f.read_bytes()) for f in files]
    assert sorted(str(m["To"]) for m in parsed) == ["Ann <ann@ux.example>", "a/b@ux.example"]


def test_a_comma_inside_the_unsubscribe_url_stays_in_it() -> None:
    url = "https://ux.example/u?lists=a,b&who={recipient}"
    email = parse_config(_email(unsubscribe_url=url, unsubscribe_mailto="leave@ux.example")).email
    message = readdress_copy(email, "Ann <ann@ux.example>")
    raw = BytesParser(policy=policy.default).parsebytes(message.as_bytes())
    mine = "https://ux.example/u?lists=a,b&who=ann%40ux.example"
    assert raw["List-Unsubscribe"] == f"<mailto:leave@ux.example?subject=unsubscribe>, <{mine}>"


def readdress_copy(email: EmailConfig, reader: str) -> EmailMessage:
    message = compose(config=email, digest_id="2026-W48", title="T", text="t\n", html="<p>t</p>", now=NOW)
    return addressed(message, email, (reader,))
