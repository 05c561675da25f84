"""Holding an issue for an editor's approval, and approving it.

With ``[digest] approval = true`` a run renders the week and stores it exactly as it would send it
(message, articles, recipients, channel posts), but in the state ``held``: nothing is sent or
published, and no run resumes it. The editors get a preview: the stored message, addressed to
``email.editors`` under a subject of its own and a Message-ID of its own (so the real issue, when it
comes, is not taken for a copy), and a post to each channel with ``preview = true``.

``digest approve ISSUE`` makes exactly that held issue ``pending`` and finishes it from the outbox:
the stored message and posts, never a re-render. A crash after that leaves it pending, and any later
run finishes it. While an issue is held, a run builds no new one (its articles are not marked seen
until it is sent, so a new issue would carry them again); one held longer than
``approval_days`` is reported as a problem at every run and in ``digest status``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser

from .. import deliver
from ..config import Config
from ..errors import DeliveryError
from ..models import Digest, Problem
from ..store import HeldIssue, OutboxEntry, Store
from .context import Context
from .posts import preview_posts, send_previews

__all__ = ["hold", "stale", "waiting"]

log = logging.getLogger(__name__)


def stale(config: Config, held: HeldIssue, now: datetime) -> bool:
    return now - held.held_at > timedelta(days=config.digest.approval_days)


def waiting(config: Config, store: Store, now: datetime) -> tuple[tuple[str, ...], list[Problem]]:
    """The held issues, and a problem for each one held past ``approval_days``."""
    held = store.approval.held()
    problems = [
        Problem(
            h.id,
            f"held for approval since {h.held_at:%Y-%m-%d %H:%M}, more than {config.digest.approval_days} days",
            f"digest approve --config FILE {h.id} sends it; no new issue is built while it waits",
        )
        for h in held
        if stale(config, h, now)
    ]
    return tuple(h.id for h in held), problems


def hold(ctx: Context, entry: OutboxEntry, digest: Digest) -> list[Problem]:
    """Tell the editors of the issue just stored held; what could not be told is returned as problems."""
    config = ctx.config
    ctx.reached("held", entry.issue.id)
    problems = []
    if config.email.editors:
        problems += _mail_preview(ctx, entry)
    posts = preview_posts(ctx, digest)
    problems += send_previews(ctx, posts)
    if not config.email.editors and not posts:
        problems.append(
            Problem(
                entry.issue.id,
                "held for approval, but nobody was sent a preview",
                "set email.editors or a [[channels]] table with preview = true",
            )
        )
    return problems


def _mail_preview(ctx: Context, entry: OutboxEntry) -> list[Problem]:
    config = ctx.config
    message = BytesParser(policy=deliver.POLICY).parsebytes(entry.message)
    assert isinstance(message, EmailMessage)
    subject = str(message["Subject"])
    for name in ("Subject", "Message-ID", "To", "List-Unsubscribe", "List-Unsubscribe-Post"):
        del message[name]
    message["Subject"] = f"Preview: {subject}"
    message["To"] = ", ".join(config.email.editors)
    message["Message-ID"] = deliver.message_id(f"{entry.issue.id}.preview", config.email.sender, config.digest.key)
    try:
        sent = ctx.mailer.send(message, config.email.editors, name=f"{entry.issue.id}-preview")
    except DeliveryError as exc:
        log.error("preview of %s not sent: %s", entry.issue.id, exc)
        return [Problem("email.editors", f"preview not sent: {exc.message}", exc.hint or "check [email.smtp]")]
    return [
        Problem(d.recipient, f"preview not sent: {d.reason or 'refused'}", "check email.editors")
        for d in sent.deliveries
        if not d.accepted
    ]
