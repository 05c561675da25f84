"""Deliver the week through the outbox, publish the site, and mark the issue sent: the run's side effects."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesParser

from .. import deliver, rank, render, site
from ..addresses import check_mailbox
from ..config import Config
from ..errors import ConfigError, DeliveryError, DigestError
from ..mailer import Mailer
from ..models import FeedState, Problem, RunReport, RunStatus
from ..report import write_report
from ..store import IssueRecord, OutboxEntry, SeenArticle, Store, normal_address
from .context import Context
from .week import Week, build_week, write_renderings

__all__ = ["dry_run", "run", "send_test", "write_report"]

log = logging.getLogger(__name__)


@dataclass
class _Progress:
    """What a run has done so far; becomes its :class:`RunReport`."""

    delivered_to: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    resent: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    outputs: list[tuple[str, str]] = field(default_factory=list)
    marked_seen: int = 0
    published: bool = False
    needs_fix: bool = False  # see RunReport.needs_fix


def run(ctx: Context, now: datetime) -> RunReport:
    """Finish any pending issue, then build the week's digest, deliver it, publish the site, mark it sent.

    The caller holds the store's run lock.
    """
    config, store = ctx.config, ctx.store
    _require_secrets(ctx)
    done = _Progress()
    for entry in store.outbox.pending():
        ctx.reached("resume", entry.issue.id)
        done.resent.append(entry.issue.id)
        if not _complete(ctx, entry, now, done):
            report = RunReport(digest_id=entry.issue.id, now=now, dry_run=False)
            return _record(config, store, report, done, ())
    week = build_week(ctx, now)
    report = replace(week.report(now), suppressed=len(_suppressed(config, store)))
    if not week.digest.stories:
        log.info("nothing new for %s", week.digest.id)
        return _record(config, store, report, done, week.first_seen, week.feeds)
    outputs = write_renderings(week.rendering, config.resolve(config.digest.output) / week.digest.id)
    entry = _outbox_entry(config, ctx.mailer, week, _suppressed(config, store))
    with store.transaction():
        store.seen.record_first_seen(dict(week.first_seen))
        store.memory.save_responses(week.responses, at=now)
        # The articles are safe in the outbox now, so a 304 next run loses nothing: keep the validators.
        store.feeds.record(week.feeds)
        store.memory.remember_stories(rank.memories(week.digest, at=now))
        store.outbox.save_pending(
            entry.issue, message=entry.message, articles=entry.articles, recipients=entry.undelivered, at=now
        )
    ctx.reached("pending", entry.issue.id)
    _complete(ctx, entry, now, done)
    return _record(config, store, replace(report, outputs=outputs), done, ())


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


def _complete(ctx: Context, entry: OutboxEntry, now: datetime, progress: _Progress) -> bool:
    """Send ``entry`` to whoever has not got it, publish, mark it sent; False if it stays pending."""
    config, store = ctx.config, ctx.store
    digest_id = entry.issue.id
    remaining = _still_addressed(ctx, entry, now, progress)
    if remaining:
        ctx.reached("send", f"{digest_id} to {len(remaining)} recipient(s)")
        try:
            results = _send(ctx.mailer, entry.message, digest_id, remaining, progress)
        except DeliveryError as exc:
            log.error("delivery of %s failed: %s", digest_id, exc)
            progress.problems.append(Problem(", ".join(exc.recipients) or "email", exc.message, exc.hint))
            progress.needs_fix = progress.needs_fix or exc.permanent
            return False
        ctx.reached("accepted", digest_id)
        if not _record_deliveries(store, entry, results, now, progress):
            return False
    with ctx.stage("publish"):
        published = _publish(config, store, entry.issue, now)
    if not published:
        progress.problems.append(Problem("site", "could not publish the site", "see the log; the next run retries"))
        return False
    with store.transaction():
        progress.marked_seen += store.outbox.complete(entry, at=now)
    progress.published = True
    progress.completed.append(digest_id)
    ctx.reached("sent", digest_id)
    return True


def _still_addressed(ctx: Context, entry: OutboxEntry, now: datetime, progress: _Progress) -> tuple[str, ...]:
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


def _record_deliveries(
    store: Store, entry: OutboxEntry, results: tuple[deliver.Delivery, ...], now: datetime, progress: _Progress
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


def _send(
    mailer: Mailer, raw: bytes, digest_id: str, recipients: tuple[str, ...], progress: _Progress
) -> tuple[deliver.Delivery, ...]:
    """Deliver the stored message to ``recipients``; one result each."""
    message = BytesParser(policy=deliver.POLICY).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    sent = mailer.send(message, recipients, name=digest_id)
    progress.outputs.extend(("eml", str(path)) for path in sent.files)
    return sent.deliveries


def _record(
    config: Config,
    store: Store,
    report: RunReport,
    progress: _Progress,
    first_seen: tuple[tuple[str, datetime], ...],
    feeds: tuple[FeedState, ...] = (),
) -> RunReport:
    """Fill the report from the run's progress, then store it with the run's remaining writes."""
    status = _status(report, progress)
    report = replace(
        report,
        delivered_to=tuple(progress.delivered_to),
        refused=tuple(progress.refused),
        outputs=(*report.outputs, *progress.outputs),
        published=progress.published,
        marked_seen=progress.marked_seen,
        problems=(*report.problems, *progress.problems),
        resent=tuple(progress.resent),
        completed=tuple(progress.completed),
        status=status,
        needs_fix=progress.needs_fix and status is RunStatus.FAILED,
    )
    with store.transaction():
        store.seen.record_first_seen(dict(first_seen))
        store.feeds.record(feeds)
        store.runs.record(report.to_dict(), at=report.now)
    write_report(config, report)
    return report


def _status(report: RunReport, progress: _Progress) -> RunStatus:
    wanted = set(progress.resent) | ({report.digest_id} if report.stories else set())
    if wanted and not wanted <= set(progress.completed):
        return RunStatus.PARTIAL if progress.delivered_to else RunStatus.FAILED
    if report.status is RunStatus.SOURCES_FAILED:  # an issue finished from the outbox does not hide it
        return RunStatus.SOURCES_FAILED
    if not wanted:
        return RunStatus.NOTHING_NEW
    return RunStatus.PARTIAL if progress.refused else RunStatus.SENT


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
