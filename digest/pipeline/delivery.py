"""Sending a stored issue: who is still addressed, the send itself, and the record of who took it."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesParser

from .. import deliver
from ..mailer import Mailer
from ..models import Problem
from ..store import OutboxEntry, Store, normal_address
from .context import Context
from .progress import Progress

__all__ = ["record_deliveries", "send", "still_addressed"]


def still_addressed(ctx: Context, entry: OutboxEntry, now: datetime, progress: Progress) -> tuple[str, ...]:
    """The pending recipients; those since removed from the config are dropped (the way to unblock a bad address).

    Those who unsubscribed since the issue was stored are not mailed either.
    """
    store = ctx.store
    current = set(ctx.mailer.addressees(ctx.config.email.to))
    dropped = [r for r in entry.undelivered if r not in current]
    listed = store.suppression.addresses()
    unsubscribed = [r for r in entry.undelivered if r in current and normal_address(r) in listed]
    if dropped or unsubscribed:
        with store.transaction():
            store.outbox.record_delivery(
                entry.issue.id, dropped, state="refused", at=now, detail="no longer in email.to"
            )
            store.outbox.record_delivery(
                entry.issue.id, unsubscribed, state="suppressed", at=now, detail="unsubscribed"
            )
        progress.refused.extend(dropped)
    return tuple(r for r in entry.undelivered if r in current and r not in unsubscribed)


def send(
    mailer: Mailer, raw: bytes, digest_id: str, recipients: tuple[str, ...], progress: Progress
) -> tuple[deliver.Delivery, ...]:
    """Deliver the stored message to ``recipients``; one result each."""
    message = BytesParser(policy=deliver.POLICY).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    sent = mailer.send(message, recipients, name=digest_id)
    progress.outputs.extend(("eml", str(path)) for path in sent.files)
    return sent.deliveries


def record_deliveries(
    store: Store, entry: OutboxEntry, results: tuple[deliver.Delivery, ...], now: datetime, progress: Progress
) -> bool:
    """Record who got the issue and who refused it for good; False while anyone is left to try again.

    Until some recipient has accepted the issue, a refusal is not taken as final: a server that
    refuses everyone is more likely misconfigured than every address wrong.
    """
    accepted = [r.recipient for r in results if r.accepted]
    if not accepted and not entry.recipients("sent"):
        reasons = "; ".join(dict.fromkeys(r.reason for r in results))
        permanent = all(r.permanent for r in results)
        progress.needs_fix = progress.needs_fix or permanent
        hint = _fix(results) if permanent else "the next run retries"
        progress.problems.append(Problem(", ".join(r.recipient for r in results), reasons, hint))
        return False
    refused = [r for r in results if not r.accepted and r.permanent]
    with store.transaction():
        store.outbox.record_delivery(entry.issue.id, accepted, state="sent", at=now)
        for r in refused:
            store.outbox.record_delivery(entry.issue.id, [r.recipient], state="refused", at=now, detail=r.reason)
    progress.delivered_to.extend(accepted)
    progress.refused.extend(r.recipient for r in refused)
    progress.problems.extend(Problem(r.recipient, r.reason or "recipient refused", "check email.to") for r in refused)
    retry = [r for r in results if not r.accepted and not r.permanent]
    progress.problems.extend(Problem(r.recipient, r.reason or "not sent", "the next run retries") for r in retry)
    return not retry


def _fix(results: tuple[deliver.Delivery, ...]) -> str:
    """What to fix when the server refused everyone for good (5xx); the issue waits in the outbox meanwhile."""
    if all(r.reason.startswith(deliver.SENDER_REFUSED) for r in results):
        return (
            "check email.sender: the server does not take mail from it (for this login); the issue waits in the outbox"
        )
    return "check email.to and that the server relays for this sender; the issue waits in the outbox"
