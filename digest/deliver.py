"""Stage 8: email the digest, through SMTP or, with no server configured, into an outbox folder.

The message is ``multipart/alternative``: a written plain-text part and an HTML part. Its
Message-ID is derived from the digest id, so a re-send of the same digest is recognisably the
same message.
"""

from __future__ import annotations

import hashlib
import os
import smtplib
import ssl
from collections.abc import Callable, Mapping
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

from .config import EmailConfig, SmtpConfig
from .errors import DeliveryError

__all__ = ["SmtpFactory", "compose", "deliver", "message_id", "write_outbox"]

SmtpFactory = Callable[[SmtpConfig], smtplib.SMTP]


def message_id(digest_id: str, sender: str) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    token = hashlib.sha256(f"{digest_id}\x1f{sender}".encode()).hexdigest()[:16]
    return f"<{digest_id}.{token}@{domain}>"


def compose(*, config: EmailConfig, digest_id: str, title: str, text: str, html: str, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = config.subject.format(title=title, week=digest_id)
    message["From"] = config.sender
    message["To"] = ", ".join(config.to) or "undisclosed-recipients:;"
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(digest_id, config.sender)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def write_outbox(message: EmailMessage, folder: Path, digest_id: str) -> Path:
    """Write the message as ``<digest_id>.eml`` atomically, so a crash leaves no half file."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest_id}.eml"
    tmp = target.with_suffix(".eml.tmp")
    tmp.write_bytes(message.as_bytes())
    os.replace(tmp, target)
    return target


def _connect(smtp: SmtpConfig) -> smtplib.SMTP:
    if smtp.security == "ssl":
        return smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context())
    client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    if smtp.security == "starttls":
        client.starttls(context=ssl.create_default_context())
    return client


def deliver(
    message: EmailMessage, *, config: EmailConfig, env: Mapping[str, str], connect: SmtpFactory = _connect
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Send ``message`` to every recipient; returns the recipients accepted and those refused.

    Raises :class:`DeliveryError` when no recipient got it.
    """
    smtp = config.smtp
    if smtp is None:
        raise DeliveryError("no SMTP server configured", hint="set [email.smtp] or use the outbox")
    if not config.to:
        raise DeliveryError("no recipients", hint="set email.to")
    password = env.get(smtp.password_env, "") if smtp.password_env else ""
    if smtp.password_env and not password:
        raise DeliveryError(
            f"environment variable {smtp.password_env} is not set", hint="export the SMTP password in that variable"
        )
    try:
        with connect(smtp) as client:
            if smtp.username:
                client.login(smtp.username, password)
            refused = client.send_message(message, to_addrs=list(config.to))
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(
            "every recipient was refused", recipients=tuple(exc.recipients), hint="check email.to"
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(
            f"SMTP failed: {exc}", recipients=config.to, hint=f"check email.smtp ({smtp.host}:{smtp.port})"
        ) from exc
    return tuple(r for r in config.to if r not in refused), tuple(sorted(refused))
