"""Delivery over real SMTP servers on loopback: plain, STARTTLS with AUTH, implicit TLS; headers parsed back."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from digest.config import EmailConfig, SmtpConfig, parse_config
from digest.deliver import Delivery, compose, deliver, smtp_connector
from digest.errors import ConfigError, DeliveryError

from .conftest import free_port

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SENDER = "Café Crème ☕ <weekly@example.org>"


@dataclass
class Mailbox:
    """Records every message as the raw bytes received; refuses or defers addresses on demand."""

    received: list[tuple[list[str], bytes]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    defer_once: set[str] = field(default_factory=set)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such user here"
        if address in self.defer_once:
            self.defer_once.discard(address)
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def parsed(self, i: int) -> EmailMessage:
        message = BytesParser(policy=policy.default).parsebytes(self.received[i][1])
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class Server:
    port: int
    mailbox: Mailbox
    client_tls: ssl.SSLContext


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def _authenticator(mailbox: Mailbox) -> Any:
    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"s3cret"
        if ok:
            mailbox.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)

    return authenticate


def _serve(ca: trustme.CA, **kwargs: Any) -> Iterator[Server]:
    mailbox = Mailbox()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    client_tls = ssl.create_default_context()
    ca.configure_trust(client_tls)
    port = free_port()
    if kwargs.pop("implicit", False):
        kwargs["ssl_context"] = server_tls
    else:
        kwargs.setdefault("tls_context", server_tls)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, authenticator=_authenticator(mailbox), **kwargs)
    controller.start()
    yield Server(port, mailbox, client_tls)
    controller.stop()


@pytest.fixture
def starttls_server(ca: trustme.CA) -> Iterator[Server]:
    yield from _serve(ca, require_starttls=True, auth_required=True)


@pytest.fixture
def plain_server(ca: trustme.CA) -> Iterator[Server]:
    yield from _serve(ca)


@pytest.fixture
def implicit_tls_server(ca: trustme.CA) -> Iterator[Server]:
    # The server cannot tell a TLS socket it did not wrap itself, so it must be told AUTH is safe here.
    yield from _serve(ca, implicit=True, auth_require_tls=False)


def _config(port: int, security: str = "none", **email: Any) -> EmailConfig:
    auth = {"username": "weekly", "password_env": "PW"} if security != "none" else {}
    smtp = SmtpConfig(host="127.0.0.1", port=port, security=security, timeout=5, retry_wait=0.5, **auth)
    defaults: dict[str, Any] = {
        "sender": SENDER,
        "to": ("ann@example.org", "bob@example.org"),
        "subject": "{title} 🚀 {week}",
        "unsubscribe_mailto": "leave@example.org",
        "unsubscribe_url": "https://example.org/weekly/unsubscribe?who={recipient}&list=weekly-digest-of-the-harbor",
    }
    return EmailConfig(smtp=smtp, **(defaults | email))


def _message(config: EmailConfig) -> EmailMessage:
    html = "<!DOCTYPE html><html><body><p>Héllo</p></body></html>"
    return compose(config=config, digest_id="2026-W48", title="Été à Zürich", text="Héllo\n", html=html, now=NOW)


def test_starttls_with_auth_sends_one_message_per_recipient(starttls_server: Server) -> None:
    config = _config(starttls_server.port, "starttls")
    results = deliver(
        _message(config), config=config, env={"PW": "s3cret"}, connect=smtp_connector(starttls_server.client_tls)
    )

    assert results == (Delivery("ann@example.org", True), Delivery("bob@example.org", True))
    assert starttls_server.mailbox.logins == ["weekly"]  # one session carries every message
    assert [r for r, _ in starttls_server.mailbox.received] == [["ann@example.org"], ["bob@example.org"]]
    first, second = starttls_server.mailbox.parsed(0), starttls_server.mailbox.parsed(1)
    assert first["To"] == "ann@example.org" and second["To"] == "bob@example.org"
    assert "bob@example.org" not in starttls_server.mailbox.received[0][1].decode()
    assert first["Message-ID"] == second["Message-ID"]


def test_headers_are_rfc2047_encoded_and_decode_back(plain_server: Server) -> None:
    config = _config(plain_server.port)
    deliver(_message(config), config=config, env={})
    raw = plain_server.mailbox.received[0][1]
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")  # headers are pure ASCII on the wire
    message = plain_server.mailbox.parsed(0)

    assert message["Subject"] == "Été à Zürich 🚀 2026-W48"
    assert message["From"].addresses[0].display_name == "Café Crème ☕"
    assert message["From"].addresses[0].addr_spec == "weekly@example.org"
    assert message["Date"].datetime == NOW
    assert message["Message-ID"].startswith("<2026-W48.") and message["Message-ID"].endswith("@example.org>")
    assert message["List-Id"] == "Été à Zürich <ete-a-zurich.example.org>"
    unsubscribe = str(message["List-Unsubscribe"])
    assert "<mailto:leave@example.org?subject=unsubscribe>" in unsubscribe
    assert "<https://example.org/weekly/unsubscribe?who=ann%40example.org&list=weekly-digest-of-the-harbor>" in (
        unsubscribe.replace("\r\n", "").replace("\n", "").replace(" ", "")
    )
    assert "=?" not in head.split("List-Unsubscribe:", 1)[1].split("\r\nList-Unsubscribe-Post", 1)[0]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message.get_body(("plain",)).get_content().splitlines() == ["Héllo"]  # type: ignore[union-attr]
    assert "Héllo" in message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_message_id_is_the_same_when_the_digest_is_sent_again() -> None:
    config = _config(25)
    assert _message(config)["Message-ID"] == _message(config)["Message-ID"]
    assert _message(config).as_bytes() == _message(config).as_bytes()
    other = compose(config=config, digest_id="2026-W49", title="t", text="x", html="<p>x</p>", now=NOW)
    assert other["Message-ID"] != _message(config)["Message-ID"]


def test_implicit_tls_with_auth(implicit_tls_server: Server) -> None:
    config = _config(implicit_tls_server.port, "ssl", to=("ann@example.org",))
    results = deliver(
        _message(config), config=config, env={"PW": "s3cret"}, connect=smtp_connector(implicit_tls_server.client_tls)
    )
    assert results == (Delivery("ann@example.org", True),)
    assert implicit_tls_server.mailbox.logins == ["weekly"]


def test_refused_recipient_is_reported_and_the_others_still_get_it(plain_server: Server) -> None:
    config = _config(plain_server.port, to=("ann@example.org", "nobody@example.org", "bob@example.org"))
    plain_server.mailbox.refuse.add("nobody@example.org")
    results = deliver(_message(config), config=config, env={})

    assert [r.accepted for r in results] == [True, False, True]
    assert results[1].recipient == "nobody@example.org" and "550" in results[1].reason
    assert [r for r, _ in plain_server.mailbox.received] == [["ann@example.org"], ["bob@example.org"]]


def test_bcc_mode_sends_one_message_that_names_no_recipient(plain_server: Server) -> None:
    config = _config(plain_server.port, mode="bcc", to=("ann@example.org", "nobody@example.org", "bob@example.org"))
    plain_server.mailbox.refuse.add("nobody@example.org")
    results = deliver(_message(config), config=config, env={})

    assert [r.accepted for r in results] == [True, False, True]
    assert plain_server.mailbox.received[0][0] == ["ann@example.org", "bob@example.org"]
    assert len(plain_server.mailbox.received) == 1
    raw = plain_server.mailbox.received[0][1].decode()
    assert "ann@example.org" not in raw and "bob@example.org" not in raw
    assert plain_server.mailbox.parsed(0)["To"] == "undisclosed-recipients:;"
    # The per-recipient URL cannot be filled in for a shared message: only the mailto stays.
    assert plain_server.mailbox.parsed(0)["List-Unsubscribe"] == "<mailto:leave@example.org?subject=unsubscribe>"
    assert plain_server.mailbox.parsed(0)["List-Unsubscribe-Post"] is None


def test_transient_refusal_is_retried_a_bounded_number_of_times(plain_server: Server) -> None:
    config = _config(plain_server.port)
    plain_server.mailbox.defer_once.add("bob@example.org")
    waits: list[float] = []
    results = deliver(_message(config), config=config, env={}, sleep=waits.append)

    assert [r.accepted for r in results] == [True, True]
    assert waits == [0.5]
    assert [r for r, _ in plain_server.mailbox.received] == [["ann@example.org"], ["bob@example.org"]]


def test_unreachable_server_gives_up_after_the_retries() -> None:
    config = _config(free_port())
    waits: list[float] = []
    results = deliver(_message(config), config=config, env={}, sleep=waits.append)

    assert waits == [0.5, 1.0]  # retries = 2, doubling
    assert [r.accepted for r in results] == [False, False]
    assert all("SMTP" in r.reason for r in results)


def test_wrong_password_is_an_error_naming_the_fix(starttls_server: Server) -> None:
    config = _config(starttls_server.port, "starttls")
    with pytest.raises(DeliveryError, match="login refused") as caught:
        deliver(
            _message(config), config=config, env={"PW": "wrong"}, connect=smtp_connector(starttls_server.client_tls)
        )
    assert "PW" in caught.value.hint
    assert starttls_server.mailbox.received == []


def test_missing_password_variable_and_clear_text_to_a_remote_host_are_refused(plain_server: Server) -> None:
    config = _config(plain_server.port, "starttls")
    with pytest.raises(DeliveryError, match="PW is not set"):
        deliver(_message(config), config=config, env={})
    remote = EmailConfig(sender=SENDER, to=("ann@example.org",), smtp=SmtpConfig(host="192.0.2.1", security="none"))
    with pytest.raises(DeliveryError, match="clear text"):
        deliver(_message(remote), config=remote, env={})


def test_delivery_and_site_settings_are_validated() -> None:
    with pytest.raises(ConfigError, match="unknown mode") as caught:
        parse_config({"email": {"mode": "all"}})
    assert caught.value.key == "email.mode" and "bcc" in caught.value.hint
    with pytest.raises(ConfigError, match="at least 0") as caught:
        parse_config({"email": {"smtp": {"host": "127.0.0.1", "retries": -1}}})
    assert caught.value.key == "email.smtp.retries"
    with pytest.raises(ConfigError, match="at least 1") as caught:
        parse_config({"site": {"per_page": 0}})
    assert caught.value.key == "site.per_page"


def test_untrusted_certificate_is_not_accepted(starttls_server: Server) -> None:
    config = _config(starttls_server.port, "starttls")
    results = deliver(_message(config), config=config, env={"PW": "s3cret"}, sleep=lambda _: None)
    assert [r.accepted for r in results] == [False, False]
    assert "CERTIFICATE_VERIFY_FAILED" in results[0].reason
    assert starttls_server.mailbox.received == []
