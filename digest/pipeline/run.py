"""Deliver the week through the outbox, publish the site, and mark the issue sent: the run's side effects.

Who gets the stored issue and what they answered is :mod:`.delivery`; what the run did and the report it
becomes is :mod:`.progress`.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from email.message import EmailMessage

from .. import deliver, rank, render, site
from ..addresses import check_mailbox
from ..config import Config
from ..errors import ConfigError, DeliveryError, DigestError
from ..mailer import Mailer
from ..models import Problem, RunReport, RunStatus
from ..report import write_report
from ..store import IssueRecord, OutboxEntry, SeenArticle, Store, normal_address
from . import approval, delivery
from .context import Context
from .posts import post_pending, posts_for
from .progress import Progress, record
from .week import Week, build_week, write_renderings

__all__ = ["approve", "dry_run", "run", "send_test", "write_report"]

log = logging.getLogger(__name__)


def run(ctx: Context, now: datetime) -> RunReport:
    """Finish any pending issue, then build the week's digest, deliver it, publish the site, mark it sent.

    The caller holds the store's run lock.
    """
    config, store = ctx.config, ctx.store
    _require_secrets(ctx)
    done = Progress()
    for entry in store.outbox.pending():
        ctx.reached("resume", entry.issue.id)
        done.resent.append(entry.issue.id)
        if not _complete(ctx, entry, now, done):
            report = RunReport(digest_id=entry.issue.id, now=now, dry_run=False)
            return record(config, store, report, done, ())
    held, stale = approval.waiting(config, store, now)
    if held:
        # Its articles are not seen until it is sent: a new issue now would carry them again.
        log.warning("%s is held for approval; no new issue is built until it is approved", held[0])
        done.held.extend(held)
        done.problems.extend(stale)
        return record(config, store, RunReport(digest_id=held[-1], now=now, dry_run=False), done, ())
    week = build_week(ctx, now)
    report = replace(week.report(now), suppressed=len(_suppressed(config, store)))
    if not week.digest.stories:
        log.info("nothing new for %s", week.digest.id)
        return record(config, store, report, done, week.first_seen, week.feeds)
    outputs = write_renderings(week.rendering, config.resolve(config.digest.output) / week.digest.id)
    entry = _outbox_entry(config, ctx.mailer, week, _suppressed(config, store))
    _store_issue(ctx, week, entry, now)
    ctx.reached("pending", entry.issue.id)
    if config.digest.approval:
        done.held.append(entry.issue.id)
        done.problems.extend(approval.hold(ctx, entry, week.digest))
        return record(config, store, replace(report, outputs=outputs), done, ())
    _complete(ctx, entry, now, done)
    return record(config, store, replace(report, outputs=outputs), done, ())


def _store_issue(ctx: Context, week: Week, entry: OutboxEntry, now: datetime) -> None:
    """Store the issue in the outbox (held, with approval) with its posts and the run's other writes, at once."""
    store = ctx.store
    posts = posts_for(ctx, week.digest)
    with store.transaction():
        store.seen.record_first_seen(dict(week.first_seen))
        store.memory.save_responses(week.responses, at=now)
        # The articles are safe in the outbox now, so a 304 next run loses nothing: keep the validators.
        store.feeds.record(week.feeds)
        store.memory.remember_stories(rank.memories(week.digest, at=now))
        store.outbox.save_pending(
            entry.issue, message=entry.message, articles=entry.articles, recipients=entry.undelivered, at=now
        )
        store.channels.save(posts, at=now)
        if ctx.config.digest.approval:
            store.approval.hold(entry.issue.id)


def approve(ctx: Context, digest_id: str, now: datetime) -> RunReport:
    """Send and publish the held issue ``digest_id`` as it was stored; the caller holds the run lock.

    An issue approved before (a crash since, or a second approval) is finished or left as it is.
    """
    config, store = ctx.config, ctx.store
    state = store.approval.state(digest_id)
    if not state:
        raise DigestError(f"no issue {digest_id!r} in the state store", hint="digest status lists the held issues")
    if state not in ("held", "pending", "sent"):
        raise DigestError(f"{digest_id} was {state}", hint="a later issue carries its articles")
    done = Progress(approved=[digest_id])
    report = RunReport(digest_id=digest_id, now=now, dry_run=False)
    if state == "sent":
        log.info("%s was already sent", digest_id)
        done.completed.append(digest_id)
        return record(config, store, report, done, ())
    if state == "held":
        with store.transaction():
            store.approval.approve(digest_id)
    ctx.reached("approve", digest_id)
    entry = next(e for e in store.outbox.pending() if e.issue.id == digest_id)
    _complete(ctx, entry, now, done)
    return record(config, store, report, done, ())


def dry_run(ctx: Context, now: datetime) -> RunReport:
    """Build and render the week and write it, the message too, to the output folder; send and mark nothing."""
    config = ctx.config
    unset = _unset_secrets(ctx)  # a warning here: what the dry run shows is still worth seeing
    week = build_week(ctx, now)
    report = _unless_sources_failed(week.report(now, dry_run=True), RunStatus.DRY_RUN)
    report = replace(report, problems=(*unset, *report.problems))
    if week.digest.stories:
        out_dir = config.resolve(config.digest.output) / week.digest.id
        outputs = write_renderings(week.rendering, out_dir)
        # As the first reader gets it: their To, their unsubscribe link.
        message = deliver.addressed(_compose(config, week), config.email, config.email.to[:1])
        eml = deliver.write_outbox(message, out_dir, "digest")
        report = replace(report, outputs=(*outputs, ("eml", str(eml))))
    write_report(config, report)
    return report


def send_test(ctx: Context, to: str, now: datetime) -> RunReport:
    """Render the week and send it to ``to`` only: nothing is marked seen and nothing is stored.

    The message gets a Message-ID of its own, so the real issue, when it reaches the same mailbox,
    is not taken for a copy of this one and hidden.
    """
    config, store = ctx.config, ctx.store
    check_mailbox(to, key="--to", display_name=False)
    _require_secrets(ctx)
    if normal_address(to) in store.suppression.addresses():
        raise DeliveryError(f"{to} is on the suppression list", hint=f"digest unsubscribe --undo {to} to mail it again")
    week = build_week(ctx, now)
    report = _unless_sources_failed(week.report(now, dry_run=True), RunStatus.TEST_SEND)
    if not week.digest.stories:
        write_report(config, report)
        return report
    message = _compose(replace(config, email=replace(config.email, to=(to,))), week)
    del message["Message-ID"]
    message["Message-ID"] = deliver.message_id(f"{week.digest.id}.test", config.email.sender, config.digest.key)
    sent = ctx.mailer.send(message, (to,), name=f"{week.digest.id}-test")
    refused = tuple(
        Problem(d.recipient, d.reason or "not sent", "check the address") for d in sent.deliveries if not d.accepted
    )
    report = replace(
        report,
        delivered_to=tuple(d.recipient for d in sent.deliveries if d.accepted),
        refused=tuple(d.recipient for d in sent.deliveries if not d.accepted),
        outputs=tuple(("eml", str(path)) for path in sent.files),
        problems=(*report.problems, *refused),
    )
    write_report(config, report)
    return report


def _unset_secrets(ctx: Context) -> tuple[Problem, ...]:
    """The environment variables the config names for a secret that are not set (or empty)."""
    return tuple(
        Problem(key, f"environment variable {variable} is not set", "export it; a real run stops here")
        for key, variable in ctx.config.secrets()
        if not ctx.services.env.get(variable)
    )


def _require_secrets(ctx: Context) -> None:
    """Stop before any work when a secret the run needs is missing: an hour of gathering would be lost."""
    for problem in _unset_secrets(ctx):
        raise ConfigError(
            problem.message,
            key=problem.source,
            hint="export it before the run; in GitHub Actions, a repository secret of that name",
        )


def _unless_sources_failed(report: RunReport, status: RunStatus) -> RunReport:
    """``report`` with ``status``, unless no source could be read: that failure is what it must say."""
    return report if report.status is RunStatus.SOURCES_FAILED else replace(report, status=status)


def _compose(config: Config, week: Week) -> EmailMessage:
    if not deliver.reaches_unsubscribe(config.email):
        log.warning(
            "%s goes out without an unsubscribe link: set email.unsubscribe_url (an https URL gets one-click "
            "unsubscribe) or email.unsubscribe_mailto",
            week.digest.id,
        )
    return deliver.compose(
        config=config.email,
        digest_id=week.digest.id,
        digest_name=config.digest.key,
        title=week.digest.title,
        text=week.rendering.text,
        html=week.rendering.email_html,
        now=week.digest.end,
    )


def _suppressed(config: Config, store: Store) -> frozenset[str]:
    """The addresses of email.to on the suppression list (normalized)."""
    listed = store.suppression.addresses()
    return frozenset(a for a in map(normal_address, config.email.to) if a in listed)


def _outbox_entry(config: Config, mailer: Mailer, week: Week, suppressed: frozenset[str]) -> OutboxEntry:
    digest = week.digest
    known: dict[str, SeenArticle] = {}
    for article in (a for story in digest.stories for a in story.articles):
        # A copy is the same article from the same source: recorded under its source and date, so
        # forgetting a source's articles forgets its copies too.
        for copy in article.copies:
            known.setdefault(copy.article_id, SeenArticle(copy.article_id, copy.source, article.published.isoformat()))
        known[article.id] = SeenArticle(article.id, article.source, article.published.isoformat())
    articles = tuple(known.get(i, SeenArticle(i)) for i in digest.article_ids)
    shape = week.rendering.outline
    issue = IssueRecord(
        digest.id, digest.title, digest.start, digest.end, week.rendering.body_html, shape.sections, shape.headlines
    )
    recipients = tuple(r for r in mailer.addressees(config.email.to) if normal_address(r) not in suppressed)
    message = _compose(config, week).as_bytes()
    return OutboxEntry(issue, message, articles, tuple((r, "pending") for r in recipients))


def _complete(ctx: Context, entry: OutboxEntry, now: datetime, progress: Progress) -> bool:
    """Send ``entry`` to whoever has not got it, publish, mark it sent; False if it stays pending."""
    config, store = ctx.config, ctx.store
    digest_id = entry.issue.id
    remaining = delivery.still_addressed(ctx, entry, now, progress)
    if remaining:
        ctx.reached("send", f"{digest_id} to {len(remaining)} recipient(s)")
        try:
            results = delivery.send(ctx.mailer, entry.message, digest_id, remaining, progress)
        except DeliveryError as exc:
            log.error("delivery of %s failed: %s", digest_id, exc)
            progress.problems.append(Problem(", ".join(exc.recipients) or "email", exc.message, exc.hint))
            progress.needs_fix = progress.needs_fix or exc.permanent
            return False
        ctx.reached("accepted", digest_id)
        if not delivery.record_deliveries(store, entry, results, now, progress):
            return False
    with ctx.stage("publish"):
        published = _publish(config, store, entry.issue, now)
    if not published:
        progress.problems.append(Problem("site", "could not publish the site", "see the log; the next run retries"))
        return False
    if not post_pending(ctx, digest_id, now, progress.posted, progress.problems):
        return False
    with store.transaction():
        progress.marked_seen += store.outbox.complete(entry, at=now)
    progress.published = True
    progress.completed.append(digest_id)
    ctx.reached("sent", digest_id)
    return True


def _publish(config: Config, store: Store, issue: IssueRecord, now: datetime) -> bool:
    issues = (issue, *(i for i in store.outbox.issues() if i.id != issue.id))
    theme = config.resolve(config.digest.theme) if config.digest.theme else None
    env = render.environment(theme, language=config.digest.language)
    try:
        site.build_site(
            sorted(issues, key=lambda i: (i.end, i.id), reverse=True),
            target=config.resolve(config.site.dir),
            env=env,
            site_title=config.digest.title,
            base_url=config.site.base_url,
            now=now,
            per_page=config.site.per_page,
            feed_items=config.site.feed_items,
        )
    except (OSError, DigestError) as exc:
        log.error("site not published: %s", exc)
        return False
    return True
