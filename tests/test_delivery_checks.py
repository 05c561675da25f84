"""Delivery correct by default: secrets checked before the work, failures that need a fix say so, unsubscribe
links everywhere, and the outbox holding the messages SMTP would send."""

from __future__ import annotations

import builtins
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from digest import Pipeline, Services, i18n
from digest.cli import main
from digest.config import EmailConfig, load_config
from digest.deliver import reaches_unsubscribe
from digest.errors import ConfigError
from digest.render import environment, render

from .conftest import EXAMPLE_NOW, FeedServer, LoopbackConfig, SmtpServer, free_port
from .digests import make_digest

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
UNSUBSCRIBE = "https://ux.example/unsubscribe?who={recipient}&list=weekly"


@dataclass
class StrictServer:
    """Refuses the sender or recipients on demand and logs in only with the password ``right``."""

    port: int = 0
    refuse_sender: bool = False
    refuse: set[str] = field(default_factory=set)
    rcpt: list[str] = field(default_factory=list)

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse_sender:
            return "553 5.7.1 sender address rejected: not owned by user"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such user here"
        self.rcpt.append(address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 OK"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    return AuthResult(success=isinstance(data, LoginPassword) and data.password == b"right", handled=False)


@pytest.fixture
def strict_server() -> Iterator[StrictServer]:
    handler = StrictServer(port=free_port())
    controller = Controller(
        handler, hostname="127.0.0.1", port=handler.port, authenticator=_authenticate, auth_require_tls=False
    )
    controller.start()
    yield handler
    controller.stop()


def _week(server: FeedServer, port: int | None = None, **email: Any) -> dict[str, Any]:
    tables: dict[str, Any] = {
        "sources": [{"url": server.url("feeds/harbor-tech.xml")}],
        "email": {"to": ["ann@ux.example", "bob@ux.example"], "unsubscribe_url": UNSUBSCRIBE, **email},
    }
    if port is not None:
        smtp = {"host": "127.0.0.1", "port": port, "security": "none", "retries": 0, "retry_wait": 0.0}
        tables["email"]["smtp"] = smtp | email.get("smtp", {})
    return tables


def _report(tmp_path: Path) -> dict[str, Any]:
    return dict(json.loads((tmp_path / "out" / "report.json").read_text()))


# --- secrets, before the work ---------------------------------------------------------------------


def test_a_missing_smtp_password_stops_the_run_before_it_gathers(
    loopback_config: LoopbackConfig, feed_server: FeedServer, strict_server: StrictServer
) -> None:
    login = {"smtp": {"username": "weekly", "password_env": "DIGEST_TEST_SMTP_PASSWORD"}}
    config = loopback_config(**_week(feed_server, strict_server.port, **login))
    stages: list[str] = []
    pipeline = Pipeline(config, Services(env={}, on_stage=stages.append))
    with pytest.raises(ConfigError, match="DIGEST_TEST_SMTP_PASSWORD is not set") as caught:
        pipeline.run(NOW)
    assert caught.value.key == "email.smtp.password_env"
    assert stages == [] and feed_server.requests == [] and strict_server.rcpt == []
    with pytest.raises(ConfigError, match="DIGEST_TEST_SMTP_PASSWORD"):
        pipeline.send_test("me@ux.example", NOW)
    assert feed_server.requests == []

    # A dry run says the same as a warning and renders the week.
    report = pipeline.run(NOW, dry_run=True)
    assert report.status == "dry_run" and report.stories > 0
    assert str(report.problems[0]).startswith("email.smtp.password_env: environment variable DIGEST_TEST_SMTP")


def test_a_missing_llm_key_stops_the_run_and_a_login_without_a_password_variable_is_refused(
    loopback_config: LoopbackConfig, feed_server: FeedServer
) -> None:
    llm = {"backend": "llm", "llm": {"base_url": "http://127.0.0.1:9/v1", "model": "m", "api_key_env": "LLM_KEY"}}
    config = loopback_config(**_week(feed_server), summary=llm)
    with pytest.raises(ConfigError, match="LLM_KEY is not set") as caught:
        Pipeline(config, Services(env={})).run(NOW)
    assert caught.value.key == "summary.llm.api_key_env" and feed_server.requests == []
    with pytest.raises(ConfigError, match="password") as caught:
        loopback_config(**_week(feed_server, 25, smtp={"username": "weekly"}))
    assert caught.value.key == "email.smtp.password_env"


# --- failures that need a fix, and those that pass ---------------------------------------------------


def test_a_wrong_password_says_what_to_fix_and_promises_nothing(
    tmp_path: Path,
    loopback_config: LoopbackConfig,
    feed_server: FeedServer,
    strict_server: StrictServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    login = {"smtp": {"username": "weekly", "password_env": "DIGEST_TEST_SMTP_PASSWORD"}}
    path = loopback_config.write(**_week(feed_server, strict_server.port, **login))
    monkeypatch.setenv("DIGEST_TEST_SMTP_PASSWORD", "wrong")
    assert main(["run", "--config", str(path), "--now", EXAMPLE_NOW]) == 2
    err = capsys.readouterr().err
    assert "SMTP login refused: 535" in err and "check email.smtp.username and the password in DIGEST_TEST" in err
    assert "fix what is named above" in err and "next run finishes it" not in err
    assert _report(tmp_path)["status"] == "failed" and _report(tmp_path)["needs_fix"] is True

    # Fixed, the next run sends the issue that waited in the outbox.
    monkeypatch.setenv("DIGEST_TEST_SMTP_PASSWORD", "right")
    assert main(["run", "--config", str(path), "--now", EXAMPLE_NOW]) == 0
    assert strict_server.rcpt == ["ann@ux.example", "bob@ux.example"]


@pytest.mark.parametrize(
    ("refusal", "fix"),
    [({"refuse_sender": True}, "check email.sender"), ({"refuse": {"ann@ux.example", "bob@ux.example"}}, "email.to")],
)
def test_a_refused_sender_or_every_recipient_refused_says_what_to_fix(
    tmp_path: Path,
    loopback_config: LoopbackConfig,
    feed_server: FeedServer,
    strict_server: StrictServer,
    capsys: pytest.CaptureFixture[str],
    refusal: dict[str, Any],
    fix: str,
) -> None:
    for name, value in refusal.items():
        setattr(strict_server, name, value)
    path = loopback_config.write(**_week(feed_server, strict_server.port))
    assert main(["run", "--config", str(path), "--now", EXAMPLE_NOW]) == 2
    err = capsys.readouterr().err
    assert fix in err and "fix what is named above" in err and "next run" not in err
    assert _report(tmp_path)["needs_fix"] is True


def test_a_server_that_is_down_keeps_the_retry_wording(
    tmp_path: Path, loopback_config: LoopbackConfig, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    path = loopback_config.write(**_week(feed_server, free_port()))  # nothing listens: connection refused
    assert main(["run", "--config", str(path), "--now", EXAMPLE_NOW]) == 2
    err = capsys.readouterr().err
    assert "Connection refused" in err and "the next run finishes it" in err and "fix what" not in err
    assert _report(tmp_path)["needs_fix"] is False


# --- unsubscribe -------------------------------------------------------------------------------------


def _parsed(path: Path) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(message, EmailMessage)
    return message


def _text(message: EmailMessage, subtype: str) -> str:
    part = message.get_body((subtype,))
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


def test_the_outbox_holds_one_message_per_reader_with_the_headers_smtp_sends(
    tmp_path: Path, loopback_config: LoopbackConfig, feed_server: FeedServer, smtp_server: SmtpServer
) -> None:
    email = {"to": ["Ann <ann@ux.example>", "bob@ux.example"], "unsubscribe_mailto": "leave@ux.example"}
    path = loopback_config.write(**_week(feed_server, **email))
    assert main(["run", "--config", str(path), "--now", EXAMPLE_NOW]) == 0
    files = {f.name: _parsed(f) for f in (tmp_path / "outbox" / "2026-W48").glob("*.eml")}
    assert sorted(files) == ["ann@ux.example.eml", "bob@ux.example.eml"]
    ann = files["ann@ux.example.eml"]
    assert (
        ann["To"] == "Ann <ann@ux.example>"
        and b"bob@" not in (tmp_path / "outbox/2026-W48/ann@ux.example.eml").read_bytes()
    )
    mine = "https://ux.example/unsubscribe?who=ann%40ux.example&list=weekly"
    assert ann["List-Unsubscribe"] == f"<mailto:leave@ux.example?subject=unsubscribe>, <{mine}>"
    assert ann["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"Unsubscribe: {mine}" in _text(ann, "plain")
    assert f'href="{mine.replace("&", "&amp;")}"' in _text(ann, "html") and "{recipient}" not in _text(ann, "html")

    # The same week over SMTP: every header of each reader's message is the outbox file's.
    other = loopback_config.at(tmp_path / "smtp")
    smtp_path = other.write(**_week(feed_server, **email), smtp=smtp_server)
    assert main(["run", "--config", str(smtp_path), "--now", EXAMPLE_NOW]) == 0
    sent = {rcpt[0]: message for rcpt, message in smtp_server.recorder.messages}
    for name, message in files.items():
        assert list(sent[name.removesuffix(".eml")].items()) == list(message.items())


def test_bcc_mode_writes_one_message_naming_the_readers_only_in_bcc(
    tmp_path: Path, loopback_config: LoopbackConfig, feed_server: FeedServer
) -> None:
    path = loopback_config.write(**_week(feed_server, mode="bcc", unsubscribe_url="https://ux.example/u"))
    assert main(["run", "--config", str(path), "--now", EXAMPLE_NOW]) == 0
    [eml] = (tmp_path / "outbox").rglob("*.eml")
    message = _parsed(eml)
    assert message["To"] == "undisclosed-recipients:;" and message["Bcc"] == "ann@ux.example, bob@ux.example"
    assert message["List-Unsubscribe"] == "<https://ux.example/u>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_an_article_link_naming_recipient_never_gets_the_readers_address(
    tmp_path: Path, loopback_config: LoopbackConfig, feed_server: FeedServer
) -> None:
    feed = (feed_server.root / "feeds" / "harbor-tech.xml").read_text(encoding="utf-8")
    trap = "https://tracker.example/t?u={recipient}"
    feed = feed.replace("https://harbortech.example/2026/11/quill-3?utm_source=rss&amp;utm_medium=feed", trap)
    (feed_server.root / "feeds" / "harbor-tech.xml").write_text(feed, encoding="utf-8")
    path = loopback_config.write(**_week(feed_server))
    assert main(["run", "--config", str(path), "--now", EXAMPLE_NOW]) == 0
    raw = (tmp_path / "outbox" / "2026-W48" / "ann@ux.example.eml").read_bytes()
    assert b"ann%40ux.example&list" in _parsed_bytes(raw)
    assert b"tracker.example/t?u=" in _parsed_bytes(raw)  # the trap is in the message…
    assert b"tracker.example/t?u=ann" not in _parsed_bytes(raw)  # …never with the reader's address


def _parsed_bytes(raw: bytes) -> bytes:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return "".join(str(p.get_content()) for p in message.walk() if p.get_content_maintype() == "text").encode()


def test_a_run_without_unsubscribe_warns_once_per_issue(
    loopback_config: LoopbackConfig, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    config = loopback_config(**_week(feed_server, unsubscribe_url=""))
    with caplog.at_level(logging.WARNING):
        Pipeline(config, Services(env={})).run(NOW)
    warnings = [r.getMessage() for r in caplog.records if "unsubscribe" in r.getMessage()]
    assert warnings == [
        "2026-W48 goes out without an unsubscribe link: set email.unsubscribe_url (an https URL gets one-click "
        "unsubscribe) or email.unsubscribe_mailto"
    ]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        Pipeline(loopback_config(**_week(feed_server)), Services(env={})).run(NOW, dry_run=True)
    assert not [r for r in caplog.records if "unsubscribe" in r.getMessage()]


@pytest.mark.parametrize("language", ["en", *sorted(p.name for p in i18n.LOCALE_DIR.iterdir() if p.is_dir())])
def test_the_footer_carries_the_unsubscribe_link_in_every_language(language: str) -> None:
    digest = make_digest(2)
    url = "https://ux.example/u?list=weekly"
    rendering = render(digest, env=environment(language=language), now=digest.end, unsubscribe_url=url)
    words = i18n.translations(language).gettext
    assert f'{url.replace("&", "&amp;")}"' in rendering.email_html
    assert f">{words('Unsubscribe')}</a>" in rendering.email_html
    assert f"{words('Unsubscribe:')} {url}" in rendering.text


# --- digest init --------------------------------------------------------------------------------------


def test_init_writes_the_unsubscribe_link_given(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path / "a"), "--unsubscribe", UNSUBSCRIBE]) == 0
    assert load_config(tmp_path / "a" / "digest.toml").email.unsubscribe_url == UNSUBSCRIBE
    assert main(["init", str(tmp_path / "b"), "--unsubscribe", "leave@ux.example"]) == 0
    assert load_config(tmp_path / "b" / "digest.toml").email.unsubscribe_mailto == "leave@ux.example"
    assert main(["init", str(tmp_path / "c"), "--unsubscribe", "leave at ux.example"]) == 1
    assert "--unsubscribe: not an e-mail address: 'leave at ux.example'" in capsys.readouterr().err
    assert not (tmp_path / "c" / "digest.toml").exists()


def test_init_asks_on_a_terminal_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(prompt: str = "") -> str:
        raise AssertionError("asked off a terminal")

    monkeypatch.setattr(builtins, "input", refuse)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["init", str(tmp_path / "piped")]) == 0
    assert load_config(tmp_path / "piped" / "digest.toml").email.unsubscribe_url == ""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr(builtins, "input", lambda prompt="": "https://ux.example/leave")
    assert main(["init", str(tmp_path / "asked")]) == 0
    assert load_config(tmp_path / "asked" / "digest.toml").email.unsubscribe_url == "https://ux.example/leave"


def test_a_recipient_url_is_no_way_out_where_one_message_goes_to_everyone() -> None:
    assert reaches_unsubscribe(EmailConfig(unsubscribe_url=UNSUBSCRIBE))
    assert not reaches_unsubscribe(EmailConfig(mode="bcc", unsubscribe_url=UNSUBSCRIBE))
    assert reaches_unsubscribe(EmailConfig(mode="bcc", unsubscribe_url=UNSUBSCRIBE, unsubscribe_mailto="l@ux.example"))
    assert not reaches_unsubscribe(EmailConfig())
