"""The weekly run: the only module that knows the order of the stages.

    gather → extract → drop already sent → dedupe → cluster → recall updates → summarize → rank
           → render → deliver → publish → mark seen

Everything up to render reads the state store but never writes it, so :func:`preview` and
``--dry-run`` have no side effect. The writes of a run (issue, seen articles, first-seen times,
the run record, the stories sent, new LLM answers) happen in one transaction after delivery; the
issue, the seen articles and the stories sent only when it succeeded: an article is marked seen
only once readers have it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx

from . import dedupe, deliver, extract, rank, render, site, sources, summarize
from .cluster import LeadPolicy, StoryClusterer, build_stories
from .config import Config
from .errors import DeliveryError, DigestError
from .models import Article, CachedResponse, Digest, FeedState, Problem, RankedStory, RunReport
from .store import IssueRecord, Store

__all__ = ["Week", "build_week", "preview", "run", "write_renderings"]

log = logging.getLogger(__name__)

RENDERINGS = (("markdown", "digest.md"), ("html", "digest.html"), ("email_html", "email.html"), ("text", "digest.txt"))


@dataclass(frozen=True, slots=True)
class Week:
    """A week's digest, built and rendered, before anything is sent or written."""

    digest: Digest
    rendering: render.Rendering
    gathered: int
    new: int
    first_seen: tuple[tuple[str, datetime], ...]
    problems: tuple[Problem, ...]
    # LLM answers fetched this run: stored with the run's other writes, never by a preview.
    responses: tuple[CachedResponse, ...] = ()
    # Feed state (validators, health) from the source stage: saved with the run, never by a preview.
    feeds: tuple[FeedState, ...] = ()


def digest_id_for(now: datetime, taken: frozenset[str]) -> str:
    """The ISO week the run ends in, e.g. ``2026-W48``; suffixed if that week was already sent."""
    year, week, _ = now.isocalendar()
    base = f"{year}-W{week:02d}"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def build_week(
    config: Config,
    *,
    now: datetime,
    client: httpx.Client,
    store: Store,
    env: Mapping[str, str] | None = None,
    progress: sources.Progress | None = None,
) -> Week:
    """Run every stage up to render. Reads the store, never writes it."""
    start = now - timedelta(days=config.digest.window_days)
    gathered = sources.gather(config, now=now, store=store, progress=progress)
    known = store.first_seen(gathered.undated)
    dated = [_first_seen(a, gathered.undated, known) for a in gathered.articles]
    in_window = [a for a in dated if start < a.published <= now]
    articles = extract.extract(in_window)
    fresh = dedupe.drop_seen(articles, store.seen_ids(a.id for a in articles))
    unique = dedupe.near_duplicates(
        fresh, threshold=config.dedupe.threshold, num_perm=config.dedupe.num_perm, bands=config.dedupe.bands
    )
    clusterer = StoryClusterer(**config.cluster.estimator_params()).fit(unique)
    policy = LeadPolicy(config.cluster.lead_sources, config.cluster.derivative_sources)
    stories = build_stories(unique, clusterer.labels_, centrality=clusterer.centrality_, policy=policy)
    sent = store.remembered_stories(since=now - timedelta(days=config.rank.memory_days))
    memory = tuple(m for m in sent if m.sent_at <= now)
    stories = rank.recall(stories, memory, threshold=config.rank.update_threshold)
    summaries = summarize.summarize(
        stories,
        config=config.summary,
        client=client,
        env=os.environ if env is None else env,
        cached=store.cached_response,
    )
    sections = rank.rank(summaries.stories, rules=config.sections, config=config.rank, start=start, end=now)
    digest = Digest(
        id=digest_id_for(now, store.issue_ids()), title=config.digest.title, start=start, end=now, sections=sections
    )
    templates = render.environment(config.resolve(config.digest.theme) if config.digest.theme else None)
    site_url = f"{config.site.base_url.rstrip('/')}/issues/{digest.id}/" if config.site.base_url else ""
    rendering = render.render(
        digest,
        env=templates,
        now=now,
        site_url=site_url,
        unsubscribe_url=deliver.unsubscribe_link(config.email),
        email_budget=config.email.max_html_bytes,
    )
    stamps = tuple(sorted((i, now) for i in gathered.undated if i not in known))
    problems = gathered.problems + summaries.problems
    return Week(
        digest, rendering, len(gathered.articles), len(fresh), stamps, problems, summaries.responses, gathered.feeds
    )


def _first_seen(article: Article, undated: frozenset[str], known: Mapping[str, datetime]) -> Article:
    if article.id in undated and article.id in known:
        return replace(article, published=known[article.id])
    return article


def write_renderings(rendering: render.Rendering, folder: Path) -> tuple[tuple[str, str], ...]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for attribute, name in RENDERINGS:
        path = folder / name
        path.write_text(getattr(rendering, attribute), encoding="utf-8")
        written.append((attribute, str(path)))
    return tuple(written)


def preview(
    config: Config,
    *,
    now: datetime,
    client: httpx.Client,
    store: Store,
    out: Path,
    progress: sources.Progress | None = None,
) -> RunReport:
    """Write the four renderings of the week to ``out``; the store is only read."""
    week = build_week(config, now=now, client=client, store=store, progress=progress)
    outputs = write_renderings(week.rendering, out)
    return RunReport(
        digest_id=week.digest.id,
        now=now,
        dry_run=True,
        articles_gathered=week.gathered,
        articles_new=week.new,
        stories=len(week.digest.stories),
        outputs=outputs,
        problems=week.problems,
        ranking=tuple(RankedStory.of(s) for s in week.digest.stories),
    )


def run(
    config: Config,
    *,
    now: datetime,
    client: httpx.Client,
    store: Store,
    dry_run: bool = False,
    env: Mapping[str, str] | None = None,
    connect: deliver.SmtpFactory | None = None,
    progress: sources.Progress | None = None,
) -> RunReport:
    """Build the week's digest, deliver it, publish the site, and mark its articles seen."""
    week = build_week(config, now=now, client=client, store=store, env=env, progress=progress)
    digest = week.digest
    out_dir = config.resolve(config.digest.output) / digest.id
    report = RunReport(
        digest_id=digest.id,
        now=now,
        dry_run=dry_run,
        articles_gathered=week.gathered,
        articles_new=week.new,
        stories=len(digest.stories),
        problems=week.problems,
        ranking=tuple(RankedStory.of(s) for s in digest.stories),
    )
    if not digest.stories:
        log.info("nothing new for %s", digest.id)
        return _finish(config, store, report, week, delivered=False)
    outputs = write_renderings(week.rendering, out_dir)
    message = deliver.compose(
        config=config.email,
        digest_id=digest.id,
        title=digest.title,
        text=week.rendering.text,
        html=week.rendering.email_html,
        now=now,
    )
    if dry_run:
        eml = deliver.write_outbox(message, out_dir, "digest")
        return replace(report, outputs=(*outputs, ("eml", str(eml))))
    problems = list(report.problems)
    try:
        accepted, refused = _send(config, message, digest.id, env if env is not None else os.environ, connect)
    except DeliveryError as exc:
        log.error("delivery failed: %s", exc)
        problems.append(Problem(", ".join(exc.recipients) or "email", exc.message, exc.hint))
        failed = replace(report, outputs=outputs, problems=tuple(problems))
        return _finish(config, store, failed, week, delivered=False)
    problems.extend(Problem(r, "recipient refused", "check email.to") for r in refused)
    report = replace(report, outputs=outputs, delivered_to=accepted, problems=tuple(problems))
    return _finish(config, store, report, week, delivered=True)


def _send(
    config: Config,
    message: EmailMessage,
    digest_id: str,
    env: Mapping[str, str],
    connect: deliver.SmtpFactory | None,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if config.email.smtp is None:
        path = deliver.write_outbox(message, config.resolve(config.email.outbox), digest_id)
        return (f"outbox:{path}",), ()
    results = deliver.deliver(message, config=config.email, env=env, connect=connect)
    accepted = tuple(r.recipient for r in results if r.accepted)
    if not accepted:
        raise DeliveryError(
            "; ".join(dict.fromkeys(r.reason for r in results)), recipients=config.email.to, hint="check email.to"
        )
    return accepted, tuple(r.recipient for r in results if not r.accepted)


def _finish(config: Config, store: Store, report: RunReport, week: Week, *, delivered: bool) -> RunReport:
    """Publish (when delivered) and commit every write of the run in one transaction."""
    digest = week.digest
    issue = IssueRecord(digest.id, digest.title, digest.start, digest.end, week.rendering.body_html)
    if delivered:
        report = replace(
            report, published=_publish(config, store, issue, report.now), marked_seen=len(digest.article_ids)
        )
        if not report.published:
            report = replace(
                report,
                problems=(
                    *report.problems,
                    Problem("site", "could not publish the site", "see the log; it is rebuilt next run"),
                ),
            )
    with store.transaction():
        store.record_first_seen(dict(week.first_seen))
        store.save_responses(week.responses, at=report.now)
        if not report.dry_run:
            # Validators only once readers have the articles: a 304 next run would skip them.
            store.record_feeds(week.feeds, validators=delivered or not digest.stories)
        if delivered:
            store.save_issue(issue, state="sent", at=report.now)
            store.mark_seen(digest.article_ids, digest_id=digest.id, at=report.now)
            store.remember_stories(rank.memories(digest, at=report.now))
        store.record_run(report.to_dict(), at=report.now)
    _write_report(config, report)
    return report


def _publish(config: Config, store: Store, issue: IssueRecord, now: datetime) -> bool:
    issues = (issue, *(i for i in store.issues() if i.id != issue.id))
    env = render.environment(config.resolve(config.digest.theme) if config.digest.theme else None)
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


def _write_report(config: Config, report: RunReport) -> None:
    folder = config.resolve(config.digest.output)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
