"""Stage 8: email the digest, through SMTP or, with no server configured, into an outbox folder.

The message is ``multipart/alternative``: a written plain-text part and an HTML part. Its
Message-ID is derived from the digest id, so a re-send of the same digest is recognisably the
same message. Non-ASCII subjects and display names are RFC 2047 encoded by the ``email``
package; the list headers (RFC 2369, RFC 8058) are folded by hand at their commas, because the
generic folder would turn a long unsubscribe URL into encoded-words no client can follow.

:func:`deliver` sends one message per recipient (``mode = "each"``, the default: no reader sees
another's address) or one message to every recipient in the envelope (``mode = "bcc"``). It
returns a :class:`Delivery` per recipient, so a refused address is reported while the others
still get the digest. Transient failures (a dropped connection, a 4xx reply) are retried a
bounded number of times; permanent ones (5xx) are not. Each reader's copy (its ``To``, its
unsubscribe link in the headers and the footer) is made in :mod:`.readers`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import smtplib
import ssl
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from ..addresses import envelope, header
from ..config import EmailConfig, SmtpConfig
from ..errors import DeliveryError
from ..textutil import slugify
from .readers import addressed, reaches_unsubscribe, readdress, set_to, set_unsubscribe, unsubscribe_link

__all__ = [
    "POLICY",
    "SENDER_REFUSED",
    "Delivery",
    "SmtpFactory",
    "addressed",
    "compose",
    "deliver",
    "list_id",
    "message_id",
    "outbox_name",
    "reaches_unsubscribe",
    "readdress",
    "smtp_connector",
    "unsubscribe_link",
    "write_outbox",
]

SmtpFactory = Callable[[SmtpConfig], smtplib.SMTP]

# How a Delivery's reason begins when the server refused the sender (MAIL FROM), not the recipient.
SENDER_REFUSED = "SMTP refused the sender"

_UNFOLDED = frozenset({"list-unsubscribe", "list-unsubscribe-post"})


class _MailPolicy(EmailPolicy):
    """The default policy, except that list headers fold only between their ``<…>`` items."""

    def fold(self, name: str, value: Any) -> str:
        if name.lower() not in _UNFOLDED:
            return str(super().fold(name, value))
        # Between items only: a comma inside a URL is part of it.
        items = [item.strip() for item in re.split(r",(?=\s*<)", str(value))]
        return f"{name}: " + ("," + self.linesep + " ").join(items) + self.linesep

    def fold_binary(self, name: str, value: Any) -> bytes:
        if name.lower() not in _UNFOLDED:
            return bytes(super().fold_binary(name, value))
        return self.fold(name, value).encode("ascii")


POLICY = _MailPolicy()


@dataclass(frozen=True, slots=True)
class Delivery:
    """What happened to the digest for one recipient: accepted by the server, or refused and why."""

    recipient: str
    accepted: bool
    reason: str = ""
    # A 5xx refusal: sending again will not help. False for failures that outlasted the retries.
    permanent: bool = False


def message_id(digest_id: str, sender: str, digest_name: str = "") -> str:
    """The issue's Message-ID: the same for every send of it, different for another digest's issue of that week."""
    domain = envelope(sender).rpartition("@")[2] or "localhost"
    seed = f"{digest_id}\x1f{sender}" + (f"\x1f{digest_name}" if digest_name else "")
    token = hashlib.sha256(seed.encode()).hexdigest()[:16]
    return f"<{digest_id}.{token}@{domain}>"


def list_id(config: EmailConfig, title: str) -> str:
    """``List-Id`` (RFC 2919): the configured one, else the title's slug under the sender's domain."""
    if config.list_id:
        return config.list_id
    domain = envelope(config.sender).rpartition("@")[2] or "localhost"
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return f"{title} <{slugify(ascii_title)}.{domain}>"


def compose(
    *,
    config: EmailConfig,
    digest_id: str,
    title: str,
    text: str,
    html: str,
    now: datetime,
    digest_name: str = "",
) -> EmailMessage:
    """The digest as one message addressed to every recipient; :func:`deliver` readdresses it per send."""
    message = EmailMessage(policy=POLICY)
    message["Subject"] = config.subject.format(title=title, week=digest_id)
    message["From"] = header(config.sender)
    set_to(message, config.to)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(digest_id, config.sender, digest_name)
    message["List-Id"] = list_id(config, title)
    set_unsubscribe(message, config)
    message.set_content(text)
    # Quoted-printable always, because that is the size render budgets the HTML for.
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    # A boundary derived from the content instead of a random one: the same digest gives the same bytes.
    token = hashlib.sha256("\x1f".join((message["Message-ID"], text, html)).encode()).hexdigest()[:24]
    message.set_boundary(f"==digest-{token}")
    return message


def write_outbox(message: EmailMessage, folder: Path, digest_id: str) -> Path:
    """Write the message as ``<digest_id>.eml`` atomically, so a crash leaves no half file."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest_id}.eml"
    tmp = target.with_suffix(".eml.tmp")
    tmp.write_bytes(message.as_bytes())
    os.replace(tmp, target)
    return target


def outbox_name(recipient: str) -> str:
    """The file name (without ``.eml``) of ``recipient``'s message: the address, made safe for a file system.

    An address whose characters had to be replaced gets a hash of itself, so two never share a file.
    """
    address = envelope(recipient) or recipient
    safe = re.sub(r"[^A-Za-z0-9@._+-]", "_", address).lstrip(".") or "_"
    if safe != address:
        safe += "-" + hashlib.sha256(address.encode()).hexdigest()[:8]
    return safe


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def smtp_connector(context: ssl.SSLContext | None = None) -> SmtpFactory:
    """A factory that opens an SMTP connection as ``security`` says, verifying certificates with ``context``."""

    def connect(smtp: SmtpConfig) -> smtplib.SMTP:
        tls = context or ssl.create_default_context()
        if smtp.security == "ssl":
            return smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=tls)
        if smtp.security == "none" and not _is_loopback(smtp.host):
            raise DeliveryError(
                f"refusing to send in clear text to {smtp.host}",
                hint='security = "none" is for a relay on this machine only; use starttls or ssl',
                permanent=True,
            )
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        if smtp.security == "starttls":
            try:
                client.starttls(context=tls)
            except BaseException:
                client.close()
                raise
        return client

    return connect


def _password(smtp: SmtpConfig, env: Mapping[str, str]) -> str:
    password = env.get(smtp.password_env, "") if smtp.password_env else ""
    if smtp.password_env and not password:
        raise DeliveryError(
            f"environment variable {smtp.password_env} is not set",
            hint="export the SMTP password in that variable",
            permanent=True,
        )
    return password


def deliver(
    message: EmailMessage,
    *,
    config: EmailConfig,
    env: Mapping[str, str],
    connect: SmtpFactory | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Delivery, ...]:
    """Send ``message`` to every recipient in ``config.to``; one :class:`Delivery` each, in that order.

    The envelope (``MAIL FROM``, ``RCPT TO``) carries each configured address as
    :func:`digest.addresses.envelope` reads it, the one a run reports. Raises :class:`DeliveryError`
    when nothing can be attempted (no server, no recipients, no password) or the server rejects the
    login or the connection's setup; ``permanent`` on it says that sending again will not help. A
    refused recipient is a result, not an error.
    """
    smtp = config.smtp
    if smtp is None:
        raise DeliveryError("no SMTP server configured", hint="set [email.smtp] or use the outbox", permanent=True)
    if not config.to:
        raise DeliveryError("no recipients", hint="set email.to", permanent=True)
    session = _Session(message, config, smtp, _password(smtp, env), connect or smtp_connector())
    batches = [(r,) for r in config.to] if config.mode == "each" else [tuple(config.to)]
    for attempt in range(smtp.retries + 1):
        if attempt:
            sleep(smtp.retry_wait * 2 ** (attempt - 1))
        batches = session.send(batches)
        if not batches:
            break
    for batch in batches:
        for recipient in batch:
            session.results[recipient] = Delivery(recipient, False, session.last_error or "not sent")
    return tuple(session.results[r] for r in config.to)


class _Session:
    """One delivery: the results so far and what is left to retry, over as many connections as it takes."""

    def __init__(
        self, message: EmailMessage, config: EmailConfig, smtp: SmtpConfig, password: str, connect: SmtpFactory
    ) -> None:
        self.message = message
        self.config = config
        self.smtp = smtp
        self.password = password
        self.connect = connect
        self.sender = envelope(config.sender)
        self.results: dict[str, Delivery] = {}
        self.last_error = ""

    def send(self, batches: Sequence[tuple[str, ...]]) -> list[tuple[str, ...]]:
        """Send each batch over one connection; returns the batches to try again."""
        retry: list[tuple[str, ...]] = []
        try:
            with self.connect(self.smtp) as client:
                if self.smtp.username:
                    client.login(self.smtp.username, self.password)
                for i, batch in enumerate(batches):
                    try:
                        retry.extend(self._send_one(client, batch))
                    except (smtplib.SMTPServerDisconnected, OSError) as exc:
                        self.last_error = f"SMTP connection lost: {exc}"
                        return [*retry, *batches[i:]]
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"SMTP login refused: {_reply(exc.smtp_code, exc.smtp_error)}",
                recipients=self.config.to,
                hint=f"check email.smtp.username and the password in {self.smtp.password_env or 'its variable'}",
                permanent=_permanent(exc.smtp_code),
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:  # no STARTTLS, or no AUTH, where the config asks for it
            raise DeliveryError(
                f"the SMTP server does not support what the config asks: {exc}",
                recipients=self.config.to,
                hint="check email.smtp.security and email.smtp.username against what the server offers",
                permanent=True,
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.last_error = f"SMTP failed: {exc}"
            return [b for b in batches if not all(r in self.results for r in b)]
        return retry

    def _send_one(self, client: smtplib.SMTP, batch: tuple[str, ...]) -> list[tuple[str, ...]]:
        message = addressed(self.message, self.config, batch)
        # The envelope names each reader by the address the config was checked for, keyed back to its entry.
        entries = {envelope(r): r for r in batch}
        try:
            refused: Mapping[str, tuple[int, bytes | str]] = client.send_message(
                message, from_addr=self.sender, to_addrs=list(entries)
            )
        except smtplib.SMTPRecipientsRefused as exc:
            refused = dict(exc.recipients)
        except smtplib.SMTPSenderRefused as exc:
            reason = f"{SENDER_REFUSED} {self.sender}: {_reply(exc.smtp_code, exc.smtp_error)}"
            return self._refuse_all(batch, exc.smtp_code, reason)
        except smtplib.SMTPDataError as exc:
            return self._refuse_all(
                batch, exc.smtp_code, f"SMTP refused the message: {_reply(exc.smtp_code, exc.smtp_error)}"
            )
        again: list[tuple[str, ...]] = []
        refused_entries = {entries.get(address, address): reply for address, reply in refused.items()}
        for recipient in batch:
            if recipient not in refused_entries:
                self.results[recipient] = Delivery(recipient, True)
                continue
            code, text = refused_entries[recipient]
            again.extend(self._refuse_all((recipient,), code, f"SMTP refused: {_reply(code, text)}"))
        return again

    def _refuse_all(self, batch: tuple[str, ...], code: int, reason: str) -> list[tuple[str, ...]]:
        """Record ``batch`` refused for good on a 5xx reply; returns it to try again on any other."""
        self.last_error = reason
        if not _permanent(code):
            return [(r,) for r in batch]
        for recipient in batch:
            self.results[recipient] = Delivery(recipient, False, reason, permanent=True)
        return []


def _permanent(code: int) -> bool:
    """A 5xx reply: the server will say the same next time (RFC 5321 4.2.1)."""
    return 500 <= code < 600


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(words.split())}"
