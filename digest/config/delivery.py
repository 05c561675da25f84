"""The tables of delivery: [email] (and its [email.smtp]) and [site]."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..addresses import ADDRESS_HINT, check_mailbox, parse_mailbox
from ..errors import ConfigError
from .base import BriefInEmail, Mode, Security, _require, _Table

__all__ = ["DEFAULT_SENDER", "EmailConfig", "SiteConfig", "SmtpConfig"]

# The sender of a config that names none: enough for the outbox folder, never for a server.
DEFAULT_SENDER = "Digest <digest@localhost>"


@dataclass(frozen=True, slots=True)
class SmtpConfig(_Table):
    host: str = ""
    port: int = 587
    security: Security = "starttls"
    username: str = ""
    password_env: str = ""
    timeout: float = 30.0
    # Transient failures (connection lost, 4xx) are retried this many times, waiting retry_wait, then twice that…
    retries: int = 2
    retry_wait: float = 5.0

    def _check(self) -> None:
        _require(self, lambda v: v >= 0, "must be at least 0", "retries")
        if self.username and not self.password_env:
            raise ConfigError(
                "a login needs the variable that holds its password",
                key="password_env",
                hint='e.g. password_env = "DIGEST_SMTP_PASSWORD"; the password itself never goes in the file',
            )


@dataclass(frozen=True, slots=True)
class EmailConfig(_Table):
    sender: str = DEFAULT_SENDER
    to: tuple[str, ...] = ()
    subject: str = "{title}: {week}"
    outbox: str = "outbox"
    mode: Mode = "each"  # "each": one message per recipient; "bcc": one message, every recipient in the envelope
    list_id: str = ""  # default: 'Title <title-slug.sender-domain>'
    unsubscribe_mailto: str = ""
    unsubscribe_url: str = ""  # may contain {recipient}; an https URL also gets one-click List-Unsubscribe-Post
    # Gmail clips at 102 KB: past this, the lists of other links go, then stories from the tail (the site linked).
    max_html_bytes: int = 100_000
    # False: article images loaded from the web are left out of the email, since fetching one tells the
    # image's server that, when and from where the message was read. Tracking pixels are always dropped.
    remote_images: bool = True
    # The week in brief in the email: "fit" only when the email holds every story and link list it holds
    # without it (the brief never costs the budget), "always" (stories give way to it), "never".
    brief: BriefInEmail = "fit"
    smtp: SmtpConfig | None = None

    def _check(self) -> None:
        """Every address parses and is one (see :mod:`digest.addresses`); the unsubscribe URL is http(s)."""
        if self.sender != DEFAULT_SENDER:
            check_mailbox(self.sender, key="sender")
        elif self.smtp is not None:
            raise ConfigError(
                "no sender for the SMTP server",
                key="sender",
                hint='the address the digest is sent from, e.g. sender = "Weekly <weekly@example.org>"',
            )
        _check_list(self.to, key="to")
        if self.unsubscribe_mailto:
            check_mailbox(self.unsubscribe_mailto.removeprefix("mailto:"), key="unsubscribe_mailto", display_name=False)
        if self.unsubscribe_url:
            _check_url(self.unsubscribe_url, key="unsubscribe_url")


@dataclass(frozen=True, slots=True)
class SiteConfig(_Table):
    dir: str = "site"
    base_url: str = ""
    per_page: int = 20  # issues per archive page
    feed_items: int = 20  # newest issues in the Atom and JSON feeds

    def _check(self) -> None:
        _require(self, lambda v: v >= 1, "must be at least 1", "per_page", "feed_items")


def _check_url(url: str, *, key: str) -> None:
    """An absolute http(s) URL with a host, nothing in it that could end a header's ``<…>`` or a line."""
    try:
        parts = urlsplit(url)
        web = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # an unclosed "[" of an IPv6 host
        web = False
    if not web or re.search(r'[\s<>"\x00-\x1f\x7f]', url):
        raise ConfigError(
            f"not an http(s) URL: {url!r}",
            key=key,
            hint='e.g. "https://example.org/unsubscribe?who={recipient}"; percent-encode spaces and <>',
        )


def _check_list(values: tuple[str, ...], *, key: str) -> None:
    """Every entry of an address list; all the malformed ones in one error, so one edit fixes them."""
    bad = []
    for i, value in enumerate(values):
        try:
            parse_mailbox(value)
        except ValueError as exc:
            bad.append((i, value, str(exc)))
    if len(bad) == 1:
        check_mailbox(bad[0][1], key=f"{key}[{bad[0][0]}]")
    if bad:
        each = "; ".join(f"[{i}] {value!r}: {reason}" for i, value, reason in bad)
        raise ConfigError(f"{len(bad)} entries are not e-mail addresses: {each}", key=key, hint=ADDRESS_HINT)
