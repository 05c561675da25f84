"""Newsletters from an IMAP mailbox: a real Dovecot on loopback, messages put in its Maildir directly."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from digest.clean import MAX_TITLE
from digest.config import Config, parse_config
from digest.errors import ConfigError
from digest.sources import gather
from digest.sources.imap import _criteria, view_online_link

from .imap_server import PASSWORD, USER, ImapServer, imap_server  # noqa: F401 (the fixture)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ENV = {"DIGEST_IMAP_PASSWORD": PASSWORD}
LOOPBACK = ["127.0.0.0/8", "::1/128"]


def _newsletter(subject: str, *, sender: str, list_id: str = "", mid: str = "", day: int = 21, view: str = "") -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["Subject"] = subject
    message["Date"] = f"Sat, {day} Nov 2026 07:30:00 +0000"
    if mid:
        message["Message-ID"] = mid
    if list_id:
        message["List-Id"] = list_id
    message.set_content(f"{subject}\n\nPlain part: read the HTML version.")
    link = f'<p><a href="{view}?utm_source=newsletter">View this email in your browser</a></p>' if view else ""
    body = " ".join(f"The harbor authority approved the {subject.lower()} plan, sentence {n}." for n in range(12))
    message.add_alternative(f"<html><body>{link}<h1>{subject}</h1><p>{body}</p></body></html>", subtype="html")
    return bytes(message)


def _config(server: ImapServer, tmp_path: Path, **source: Any) -> Config:
    entry = {
        "imap": f"imaps://{USER}@localhost:{server.port}/INBOX",
        "password_env": "DIGEST_IMAP_PASSWORD",
        "ca_file": str(server.ca_file),
        **source,
    }
    fetch = {"allow_networks": LOOPBACK, "max_bytes": 300_000, "timeout": 10.0}
    return parse_config({"sources": [entry], "fetch": fetch}, base_dir=tmp_path)


def _mime_bomb(depth: int) -> bytes:
    head = "From: bomb@example.net\r\nSubject: nested\r\nDate: Sat, 21 Nov 2026 08:00:00 +0000\r\nMIME-Version: 1.0\r\n"
    parts = [head]
    for level in range(depth):
        parts.append(f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n')
    parts.append("Content-Type: text/plain\r\n\r\nbottom\r\n")
    parts.extend(f"--b{level}--\r\n" for level in reversed(range(depth)))
    return "".join(parts).encode()


@pytest.fixture(scope="module")
def filled(imap_server: ImapServer) -> ImapServer:  # noqa: F811
    """The INBOX: two newsletters, a personal mail, hostile messages, one too large; and an old one."""
    server = imap_server
    server.deliver(
        "harbor",
        _newsletter(
            "Harbor Weekly: dredging",
            sender="Harbor Weekly <news@harbor.example.org>",
            list_id='"Harbor Weekly" <weekly.harbor.example.org>',
            mid="<issue-41@harbor.example.org>",
            view="https://harbor.example.org/issues/41",
        ),
    )
    server.deliver("tram", _newsletter("Tram news: new depot", sender="Tram Club <club@trams.example.net>"))
    server.deliver("bomb", _mime_bomb(3000))
    huge = b"From: huge@example.net\r\nSubject: " + b"A" * 200_000 + b"\r\nX-Junk: " + b"b " * 20_000 + b"\r\n\r\nx\r\n"
    server.deliver("huge", huge)
    bad = (
        b"From: odd@example.net\r\nSubject: charset\r\nDate: Sat, 21 Nov 2026 08:00:00 +0000\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: text/html; charset="x-no-such-charset"\r\n\r\n<p>\xff\xfe text</p>\r\n'
    )
    server.deliver("charset", bad)
    server.deliver("large", b"From: big@example.net\r\nSubject: big\r\n\r\n" + b"x" * 400_000)
    return server


@pytest.mark.slow
def test_newsletters_arrive_and_stay_unseen(filled: ImapServer, tmp_path: Path) -> None:
    gathered = gather(_config(filled, tmp_path), now=NOW, env=ENV)
    by_title = {a.title: a for a in gathered.articles}
    harbor = by_title["Harbor Weekly: dredging"]
    assert harbor.source == "Harbor Weekly"  # the List-Id's name
    assert harbor.url == "https://harbor.example.org/issues/41"  # the view-online link, tracking removed
    assert "approved the harbor weekly: dredging plan" in harbor.text  # the HTML part, not the plain one
    assert harbor.id.startswith("message-id:")
    tram = by_title["Tram news: new depot"]
    assert tram.source == "Tram Club" and tram.url == "" and tram.id.startswith("sha256:")
    problems = " | ".join(str(p) for p in gathered.problems)
    assert "400" in problems and "larger than 300000" in problems  # judged on RFC822.SIZE
    assert "x-no-such-charset" in problems
    assert "3000 multipart parts: skipped" in problems  # refused before the email package spends seconds on it
    # A 200 kB subject is cut at the length every title is (clean_article), and says so.
    assert by_title["A" * (MAX_TITLE - 1) + "…"].source == "huge@example.net"
    # Nothing was marked seen, moved or changed.
    assert filled.seen_flags() == [""] * len(filled.seen_flags())
    # The same messages give the same ids next run: dedupe and seen-marking hold across runs.
    again = gather(_config(filled, tmp_path), now=NOW, env=ENV)
    assert sorted(a.id for a in again.articles) == sorted(a.id for a in gathered.articles)


@pytest.mark.slow
def test_a_message_that_keeps_the_parser_busy_is_stopped_and_the_others_are_read(
    imap_server: ImapServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    # Each message is parsed in a worker process within fetch.parse_seconds, as a saved file is: this
    # one (20,000 paragraphs of HTML, ~2.5 s of extraction) is stopped at 1 s; its worker is replaced.
    busy = EmailMessage()
    busy["From"], busy["Subject"] = "busy@example.net", "Busy"
    busy["Date"] = "Sat, 21 Nov 2026 07:00:00 +0000"
    busy.set_content("plain")
    busy.add_alternative("<html><body>" + "<p>The ferry runs <b>every</b> ten minutes.</p>" * 20_000, subtype="html")
    imap_server.deliver("busy", bytes(busy), folder="Busy")
    innocent = _newsletter("Ferry news: winter timetable", sender="Ferry Club <club@ferry.example.net>")
    imap_server.deliver("ferry", innocent, folder="Busy")
    entry = {
        "imap": f"imaps://{USER}@localhost:{imap_server.port}/Busy",
        "password_env": "DIGEST_IMAP_PASSWORD",
        "ca_file": str(imap_server.ca_file),
    }
    fetch = {"allow_networks": LOOPBACK, "max_bytes": 2_000_000, "timeout": 10.0, "parse_seconds": 1.0}
    gathered = gather(parse_config({"sources": [entry], "fetch": fetch}, base_dir=tmp_path), now=NOW, env=ENV)
    [problem] = gathered.problems
    assert problem.source.endswith("/Busy;UID=1") and "longer than 1s" in problem.message
    assert [a.title for a in gathered.articles] == ["Ferry news: winter timetable"]


@pytest.mark.slow
def test_sender_filter_and_cap(filled: ImapServer, tmp_path: Path) -> None:
    only = gather(_config(filled, tmp_path, senders=["@harbor.example.org"]), now=NOW, env=ENV)
    assert [a.title for a in only.articles] == ["Harbor Weekly: dredging"]
    capped = gather(_config(filled, tmp_path, max_messages=1), now=NOW, env=ENV)
    assert len(capped.articles) <= 1
    assert any("older messages of the window not read" in p.message for p in capped.problems)


@pytest.mark.slow
def test_starttls_and_a_missing_mailbox(filled: ImapServer, tmp_path: Path) -> None:
    url = f"imap://{USER}@localhost:{filled.starttls_port}/INBOX"
    upgraded = gather(_config(filled, tmp_path, imap=url, senders=["club@trams.example.net"]), now=NOW, env=ENV)
    assert [a.title for a in upgraded.articles] == ["Tram news: new depot"] and not upgraded.problems
    both = gather(_config(filled, tmp_path, mailboxes=["Missing", "INBOX"]), now=NOW, env=ENV)
    assert "Harbor Weekly: dredging" in {a.title for a in both.articles}
    assert any("(Missing)" in p.source and "mailbox names" in p.hint for p in both.problems)


def test_sender_criteria_nest_or() -> None:
    start = datetime(2026, 11, 16, 9, tzinfo=UTC)
    assert _criteria(start, ["a@x", "b@y", "@z"]) == [
        "SINCE",
        start.date(),
        "OR",
        "FROM",
        "a@x",
        "OR",
        "FROM",
        "b@y",
        "FROM",
        "@z",
    ]


@pytest.mark.slow
def test_policy_password_and_tls_failures_are_problems(filled: ImapServer, tmp_path: Path) -> None:
    entry = {"imap": f"imaps://{USER}@localhost:{filled.port}/INBOX", "password_env": "DIGEST_IMAP_PASSWORD"}
    # A loopback server is refused like any private address unless fetch.allow_networks names it.
    refused = gather(parse_config({"sources": [entry]}, base_dir=tmp_path), now=NOW, env=ENV)
    assert not refused.articles
    [problem] = refused.problems
    assert "refused" in problem.message and "allow_networks" in problem.hint
    # No ca_file: the self-signed certificate is not trusted.
    untrusted = parse_config({"sources": [entry], "fetch": {"allow_networks": LOOPBACK}}, base_dir=tmp_path)
    [problem] = gather(untrusted, now=NOW, env=ENV).problems
    assert "TLS" in problem.message and "ca_file" in problem.hint
    [problem] = gather(_config(filled, tmp_path), now=NOW, env={"DIGEST_IMAP_PASSWORD": "wrong"}).problems
    assert "password_env" in problem.hint
    [problem] = gather(_config(filled, tmp_path), now=NOW, env={}).problems
    assert "DIGEST_IMAP_PASSWORD is not set" in problem.message


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("View this email in your browser", True),
        ("View online", True),
        ("Read the web version", True),
        ("Im Browser ansehen", True),
        ("Webversion", True),
        ("Voir la version en ligne", True),
        ("Afficher dans le navigateur", True),
        ("Ver en el navegador", True),
        ("Versão web", True),
        ("Visualizar no navegador", True),
        ("Unsubscribe", False),
        ("Read more about the harbor", False),
    ],
)
def test_view_online_link_in_several_languages(text: str, found: bool) -> None:
    html = f'<p><a href="https://example.org/unsub">Unsubscribe</a> <a href="https://example.org/web">{text}</a></p>'
    assert view_online_link(html) == ("https://example.org/web" if found else "")


def test_view_online_link_must_be_http() -> None:
    html = '<a href="javascript:alert(1)">View in browser</a><a href="file:///etc/passwd">Web version</a>'
    assert view_online_link(html) == ""


@pytest.mark.parametrize(
    ("source", "key", "words"),
    [
        ({"imap": "imaps://me:pw@mail.example.org/INBOX", "password_env": "P"}, "imap", "carries a password"),
        ({"imap": "imaps://mail.example.org/INBOX", "password_env": "P"}, "imap", "with a user"),
        ({"imap": "pop3://me@mail.example.org/", "password_env": "P"}, "imap", "not an IMAP URL"),
        ({"imap": "imaps://me@mail.example.org/INBOX"}, "password_env", "needs password_env"),
        ({"url": "https://example.org/feed.xml", "senders": ["a@b"]}, "senders", "only an imap source"),
        ({"imap": "imaps://me@mail.example.org/", "password_env": "P", "max_messages": 0}, "max_messages", "at least"),
        ({"imap": "imaps://me@mail.example.org/", "password_env": "P", "ca_file": "nope.pem"}, "ca_file", "no such"),
    ],
)
def test_imap_config_is_checked(tmp_path: Path, source: dict[str, Any], key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"sources": [source]}, base_dir=tmp_path)
    assert key in caught.value.key and words in caught.value.message
