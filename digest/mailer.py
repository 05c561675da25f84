"""Where an issue goes once it is rendered: an SMTP server, or the outbox folder when none is configured.

A :class:`Mailer` is chosen once per run from the config (:func:`mailer_for`); the pipeline never asks
again which of the two it has. Both keep the outbox's contract: :meth:`Mailer.send` returns one
:class:`~digest.deliver.Delivery` per recipient and raises :class:`~digest.errors.DeliveryError` only
when nothing could be attempted, so the pipeline records who got the issue and retries the rest.

- :class:`SmtpMailer` sends through :func:`digest.deliver.deliver`, one message per recipient (or
  one Bcc), retrying transient failures with the ``sleep`` it was given.
- :class:`OutboxMailer` writes into a folder what SMTP would send, for a mail client or a later step
  to send: in ``mode = "each"`` one ``<name>/<address>.eml`` per recipient, each addressed to its
  reader with its own unsubscribe link; in ``"bcc"`` one ``<name>.eml`` with the readers in ``Bcc``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from . import deliver
from .addresses import header
from .config import Config, EmailConfig

__all__ = ["OUTBOX", "Mailer", "OutboxMailer", "Sent", "SmtpMailer", "mailer_for"]

OUTBOX = "outbox"
"""Whom an issue for the outbox folder waits for when ``email.to`` names nobody: the folder itself, which
gets one ``<name>.eml`` addressed to no one, for a later step to address."""


@dataclass(frozen=True, slots=True)
class Sent:
    """What one :meth:`Mailer.send` did: a delivery per recipient, in order, and the files it wrote."""

    deliveries: tuple[deliver.Delivery, ...]
    files: tuple[Path, ...] = ()


class Mailer(Protocol):
    """Sends a composed issue; the one place that knows whether mail goes to a server or a folder."""

    def addressees(self, to: Sequence[str]) -> tuple[str, ...]:
        """Who an issue for ``to`` (``email.to``) waits for until it is delivered."""
        ...

    def send(self, message: EmailMessage, recipients: Sequence[str], *, name: str) -> Sent:
        """Deliver ``message`` to ``recipients``; ``name`` names it where it is kept (the issue id).

        Raises :class:`~digest.errors.DeliveryError` when nothing could be attempted.
        """
        ...


class SmtpMailer:
    """Delivers through the SMTP server of ``config.smtp`` (see :func:`digest.deliver.deliver`)."""

    def __init__(
        self,
        config: EmailConfig,
        *,
        env: Mapping[str, str],
        connect: deliver.SmtpFactory | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.env = env
        self.connect = connect
        self.sleep = sleep

    def addressees(self, to: Sequence[str]) -> tuple[str, ...]:
        return tuple(to)

    def send(self, message: EmailMessage, recipients: Sequence[str], *, name: str) -> Sent:
        config = replace(self.config, to=tuple(recipients))
        return Sent(deliver.deliver(message, config=config, env=self.env, connect=self.connect, sleep=self.sleep))


class OutboxMailer:
    """Writes the messages SMTP would send into ``folder``; a recipient counts as delivered once written."""

    def __init__(self, folder: Path, config: EmailConfig | None = None) -> None:
        self.folder = folder
        self.config = config or EmailConfig()

    def addressees(self, to: Sequence[str]) -> tuple[str, ...]:
        return tuple(to) or (OUTBOX,)

    def send(self, message: EmailMessage, recipients: Sequence[str], *, name: str) -> Sent:
        if OUTBOX in recipients:  # nobody named: the message as composed
            path = deliver.write_outbox(deliver.addressed(message, self.config, ()), self.folder, name)
            return Sent(tuple(deliver.Delivery(r, True) for r in recipients), (path,))
        if self.config.mode == "bcc":
            # The envelope SMTP would be given, for a later `sendmail -t` (which drops the header).
            message = deliver.addressed(message, self.config, recipients)
            message["Bcc"] = [header(r) for r in recipients]
            paths = [deliver.write_outbox(message, self.folder, name)] if recipients else []
        else:
            paths = [
                deliver.write_outbox(
                    deliver.addressed(message, self.config, (reader,)), self.folder / name, deliver.outbox_name(reader)
                )
                for reader in recipients
            ]
        return Sent(tuple(deliver.Delivery(r, True) for r in recipients), tuple(paths))


def mailer_for(
    config: Config,
    *,
    env: Mapping[str, str],
    sleep: Callable[[float], None] = time.sleep,
    connect: deliver.SmtpFactory | None = None,
) -> Mailer:
    """The mailer ``config`` asks for: SMTP when ``[email.smtp]`` is set, else the outbox folder."""
    if config.email.smtp is None:
        return OutboxMailer(config.resolve(config.email.outbox), config.email)
    return SmtpMailer(config.email, env=env, connect=connect, sleep=sleep)
