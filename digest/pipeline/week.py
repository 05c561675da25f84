"""Build and render the week's digest: every stage up to render, reading the store, never writing it."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Set
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from .. import dedupe, deliver, extract, filters, rank, render, sources, summarize
from ..cluster import LeadPolicy, StoryClusterer, build_stories
from ..config import Config
from ..models import (
    Article,
    CachedResponse,
    Digest,
    FeedState,
    Problem,
    RankedStory,
    RunReport,
    RunStatus,
    Section,
    Story,
)
from ..store import Store
from .context import Context

__all__ = ["RENDERINGS", "Selected", "Week", "build_week", "catch_up_window", "preview", "write_renderings"]

log = logging.getLogger(__name__)

RENDERINGS = (("markdown", "digest.md"), ("html", "digest.html"), ("email_html", "email.html"), ("text", "digest.txt"))


@dataclass(frozen=True, slots=True)
class Selected:
    """How many gathered articles the select stage left out, and why (besides [[filters]]).

    ``before_window`` were published before the window's start (sent already, or older than catch-up
    reaches); ``after_window`` after ``now``: they wait for the issue whose window holds them.
    ``already_seen`` were sent in an earlier issue; ``copies`` folded into another article.
    """

    before_window: int = 0
    after_window: int = 0
    already_seen: int = 0
    copies: int = 0


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
    # Articles each [[filters]] rule dropped: rule name → count.
    filtered: tuple[tuple[str, int], ...] = ()
    # Unsent articles older than digest.max_catch_up_days allows, published since the last issue.
    skipped: int = 0
    # Where the gathered articles went besides the new ones: what the select stage left out.
    selected: Selected = field(default_factory=lambda: Selected())
    # Whether there were sources and not one could be read: not "nothing new" but a failure.
    sources_failed: bool = False

    def report(self, now: datetime, *, dry_run: bool = False, outputs: tuple[tuple[str, str], ...] = ()) -> RunReport:
        """What the run report says of this week before anything is sent."""
        return RunReport(
            digest_id=self.digest.id,
            now=now,
            dry_run=dry_run,
            articles_gathered=self.gathered,
            articles_new=self.new,
            stories=len(self.digest.stories),
            outputs=outputs,
            problems=self.problems,
            ranking=tuple(RankedStory.of(s) for s in self.digest.stories),
            filtered=self.filtered,
            window_start=self.digest.start,
            skipped=self.skipped,
            before_window=self.selected.before_window,
            after_window=self.selected.after_window,
            already_seen=self.selected.already_seen,
            copies=self.selected.copies,
            status=RunStatus.SOURCES_FAILED if self.sources_failed else RunStatus.PENDING,
        )


def digest_id_for(now: datetime, taken: frozenset[str]) -> str:
    """The ISO week the run ends in, e.g. ``2026-W48``; suffixed if that week was already sent."""
    year, week, _ = now.isocalendar()
    base = f"{year}-W{week:02d}"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def build_week(ctx: Context, now: datetime) -> Week:
    """Run every stage up to render. Reads the store, never writes it."""
    config, store = ctx.config, ctx.store
    start, last = catch_up_window(config, store, now)
    log.info("window: %s to %s", start.isoformat(), now.isoformat())
    with ctx.stage("gather"):
        gathered = _gather(ctx, start, now)
    known = store.seen.first_seen(gathered.undated)
    dated = [_first_seen(a, gathered.undated, known) for a in gathered.articles]
    # The window is the window: an article dated after now is not this issue's, and is not marked
    # seen with it; the run whose window holds it carries it (a backfill of past weeks, in any order).
    in_window = [a for a in dated if start < a.published <= now]
    skipped = _skipped(dated, store, last, start)
    with ctx.stage("select"):
        articles = dedupe.collapse_copies(in_window)
        seen = store.seen.ids(i for a in articles for i in a.ids)
        fresh = dedupe.drop_seen(articles, seen)
        selected = _selected(dated, now, in_window=len(in_window), articles=articles, seen=seen, new=len(fresh))
        # After drop_seen, so only new articles are counted; before dedupe, so a dropped one is never a copy.
        # After language detection, so a rule on language sees the detected one.
        kept = filters.apply_filters(fresh, config.filters)
    stories = _stories(ctx, kept.kept)
    with ctx.stage("rank"):
        sections = _recalled_and_ranked(ctx, stories, start, now)
    with ctx.stage("summarize"):
        sections = _summarized(config, sections)
        sections, summaries = _llm_summaries(ctx, sections)
        brief = _brief(ctx, sections)
    digest = Digest(
        id=digest_id_for(now, store.outbox.issue_ids()),
        title=config.digest.title,
        start=start,
        end=now,
        sections=sections,
        brief=brief.brief if brief is not None else None,
    )
    with ctx.stage("render"):
        rendering = _render(config, digest, now)
    stamps = tuple(sorted((i, now) for i in gathered.undated if i not in known))
    problems = gathered.problems + summaries.problems + _skipped_problem(config, skipped, start)
    problems += (brief.problem,) if brief is not None and brief.problem else ()
    responses = summaries.responses + ((brief.response,) if brief is not None and brief.response else ())
    problems += _unknown_name(config, store, last)
    return Week(
        digest,
        rendering,
        len(gathered.articles),
        len(fresh),
        stamps,
        problems,
        responses,
        gathered.feeds,
        kept.dropped,
        skipped,
        selected,
        gathered.all_failed,
    )


def _gather(ctx: Context, start: datetime, now: datetime) -> sources.Gathered:
    """Every source read, its articles from ``start`` on fetched in full."""
    # Each feed's articles in the window are extracted, and their languages found, as the feed is
    # read: in a worker process beside the fetching one when there is a core to spare for it.
    return sources.gather(
        ctx.config,
        now=now,
        store=ctx.store,
        transport=ctx.services.http_transport,
        progress=ctx.services.on_progress,
        since=start,
        sleep=ctx.async_sleep(),
        prepare=extract.extract_and_detect,
        env=ctx.services.env,
    )


def _recalled_and_ranked(
    ctx: Context, stories: tuple[Story, ...], start: datetime, now: datetime
) -> tuple[Section, ...]:
    """The stories marked as updates of those sent before (story memory), then ranked into sections."""
    config = ctx.config
    sent = ctx.store.memory.remembered_stories(since=now - timedelta(days=config.rank.memory_days))
    memory = tuple(m for m in sent if m.sent_at <= now)
    recalled = rank.recall(stories, memory, threshold=config.rank.update_threshold)
    return _ranked_sections(config, recalled, start, now)


def _selected(
    dated: list[Article], now: datetime, *, in_window: int, articles: tuple[Article, ...], seen: Set[str], new: int
) -> Selected:
    """What the select stage left out: every gathered article is in one of these counts, or new."""
    after = sum(1 for a in dated if a.published > now)
    sent = sum(1 for a in articles if any(i in seen for i in a.ids))
    return Selected(
        before_window=len(dated) - in_window - after,
        after_window=after,
        already_seen=sent,
        copies=in_window - sent - new,
    )


def _stories(ctx: Context, articles: tuple[Article, ...]) -> tuple[Story, ...]:
    """Near-duplicates folded, the rest clustered into stories."""
    config = ctx.config
    with ctx.stage("dedupe"):
        unique = dedupe.near_duplicates(
            articles, threshold=config.dedupe.threshold, num_perm=config.dedupe.num_perm, bands=config.dedupe.bands
        )
    with ctx.stage("cluster"):
        clusterer = StoryClusterer(**config.cluster_params()).fit(unique)
        policy = _lead_policy(config)
        return build_stories(
            unique, clusterer.labels_, centrality=clusterer.centrality_, core=clusterer.core_, policy=policy
        )


def _lead_policy(config: Config) -> LeadPolicy:
    """How a story's lead is chosen, and so which of its other links are written first."""
    return LeadPolicy(
        _by_location(config, config.cluster.lead_sources), _by_location(config, config.cluster.derivative_sources)
    )


def _by_location(config: Config, entries: tuple[str, ...]) -> tuple[str, ...]:
    """Source entries with each configured folder or file as the absolute path its articles carry."""
    local = {s.location for s in config.sources if s.kind in ("folder", "path")}
    return tuple(str(config.resolve(e)) if e in local else e for e in entries)


def _render(config: Config, digest: Digest, now: datetime) -> render.Rendering:
    theme = config.resolve(config.digest.theme) if config.digest.theme else None
    templates = render.environment(theme, language=config.digest.language)
    site_url = f"{config.site.base_url.rstrip('/')}/issues/{digest.id}/" if config.site.base_url else ""
    return render.render(
        digest,
        env=templates,
        now=now,
        site_url=site_url,
        unsubscribe_url=deliver.unsubscribe_link(config.email),
        email_budget=config.email.max_html_bytes,
        remote_images=config.email.remote_images,
        policy=_lead_policy(config),
        brief_in_email=config.email.brief,
    )


def _ranked_sections(config: Config, stories: tuple[Story, ...], start: datetime, now: datetime) -> tuple[Section, ...]:
    """The stories ranked into sections and cut to ``max_stories``.

    Scores and rule-based sections read only the articles, so only the stories that survive the cut are
    summarized, by :func:`_summarized`: a week of 100,000 articles shows 40 stories, not 20,000. Topic
    sections (``auto_sections`` without rules) group by the summaries, so then every story is summarized
    here, before ranking.
    """
    if _topic_sections(config):
        stories = tuple(summarize.summarize(stories, config=config.summary).stories)
    ranking = replace(config.rank, pinned_sources=_by_location(config, config.rank.pinned_sources))
    return rank.rank(stories, rules=config.sections, config=ranking, start=start, end=now)


def _topic_sections(config: Config) -> bool:
    return not config.sections and config.rank.auto_sections > 1


def _summarized(config: Config, sections: tuple[Section, ...]) -> tuple[Section, ...]:
    """The shown stories with their label, keyphrases and extractive summary (done already for topic sections)."""
    if _topic_sections(config):
        return sections
    shown = summarize.summarize([s for section in sections for s in section.stories], config=config.summary)
    by_id = {story.id: story for story in shown.stories}
    return tuple(replace(s, stories=tuple(by_id[x.id] for x in s.stories)) for s in sections)


def _llm_summaries(ctx: Context, sections: tuple[Section, ...]) -> tuple[tuple[Section, ...], summarize.Summaries]:
    """The shown stories summarized by the LLM when it is configured: one call per story that is shown."""
    config = ctx.config
    if config.summary.backend != "llm":
        return sections, summarize.Summaries(())
    shown = [story for section in sections for story in section.stories]
    with ctx.llm_client() as client:
        done = summarize.llm_pass(
            shown, config=config.summary, client=client, env=ctx.services.env, cached=ctx.store.memory.cached_response
        )
    by_id = {story.id: story for story in done.stories}
    return tuple(replace(s, stories=tuple(by_id[x.id] for x in s.stories)) for s in sections), done


def _brief(ctx: Context, sections: tuple[Section, ...]) -> summarize.BriefResult | None:
    """The week in brief of the shown stories (``None``: turned off); the LLM's when it is configured."""
    config = ctx.config
    if not config.summary.brief:
        return None
    shown = [story for section in sections for story in section.stories]
    if config.summary.backend != "llm" or not shown:
        return summarize.BriefResult(summarize.extractive_brief(shown))
    with ctx.llm_client() as client:
        return summarize.week_brief(
            shown, config=config.summary, client=client, env=ctx.services.env, cached=ctx.store.memory.cached_response
        )


def catch_up_window(config: Config, store: Store, now: datetime) -> tuple[datetime, datetime | None]:
    """Where the run's window starts, and the end of the last delivered issue (None before the first).

    The window is ``window_days`` long, reaching back further to the end of the last delivered
    issue when a run was missed, but never beyond ``max_catch_up_days``.
    """
    window = now - timedelta(days=config.digest.window_days)
    last = store.outbox.last_delivered(before=now)
    if last is None:
        return window, None
    return max(min(last, window), now - timedelta(days=config.digest.max_catch_up_days)), last


def _skipped(articles: list[Article], store: Store, last: datetime | None, start: datetime) -> int:
    """Unsent articles published after the last issue but before the capped window: reported, not lost silently."""
    if last is None or last >= start:
        return 0
    older = [a.id for a in articles if last < a.published <= start]
    return len(set(older) - store.seen.ids(older))


def _unknown_name(config: Config, store: Store, last: datetime | None) -> tuple[Problem, ...]:
    """A first issue in a store that holds other digests' issues: perhaps a renamed digest, losing its history."""
    others = sorted(store.digest_names() - {config.digest.key, ""})
    if last is not None or not others or config.digest.shared_history or store.outbox.issue_ids():
        return ()
    return (
        Problem(
            "digest",
            f"no issue of {config.digest.key!r} in the state store yet, which holds the digest(s) {', '.join(others)}",
            "if this digest was renamed (its title or name changed), set [digest] name to its old name; "
            "a new digest can ignore this",
        ),
    )


def _skipped_problem(config: Config, skipped: int, start: datetime) -> tuple[Problem, ...]:
    if not skipped:
        return ()
    return (
        Problem(
            "digest",
            f"{skipped} unsent article(s) from before {start:%Y-%m-%d %H:%M} skipped: older than "
            f"max_catch_up_days ({config.digest.max_catch_up_days})",
            "raise digest.max_catch_up_days to include them in the next run",
        ),
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


def preview(ctx: Context, now: datetime, out: Path) -> RunReport:
    """Write the four renderings of the week to ``out``; the store is only read."""
    week = build_week(ctx, now)
    return week.report(now, dry_run=True, outputs=write_renderings(week.rendering, out))
