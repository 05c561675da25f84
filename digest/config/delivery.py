"""The tables of delivery: [email] (and its [email.smtp]) and [site]."""

from __future__ import annotations

from dataclasses import dataclass

from .base import BriefInEmail, Mode, Security, _require, _Table

__all__ = ["EmailConfig", "SiteConfig", "SmtpConfig"]


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


@dataclass(frozen=True, slots=True)
class EmailConfig(_Table):
    sender: str = "Digest <digest@localhost>"
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


@dataclass(frozen=True, slots=True)
class SiteConfig(_Table):
    dir: str = "site"
    base_url: str = ""
    per_page: int = 20  # issues per archive page
    feed_items: int = 20  # newest issues in the Atom and JSON feeds

    def _check(self) -> None:
        _require(self, lambda v: v >= 1, "must be at least 1", "per_page", "feed_items")
