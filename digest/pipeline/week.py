"""Build and render the week's digest: every stage up to render, reading the store, never writing it."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from .. import dedupe, deliver, extract, filters, rank, render, sources, summarize
from ..cluster import LeadPolicy, StoryClusterer, build_stories
from ..config import Config
from ..models import Article, CachedResponse, Digest, FeedState, Problem, RankedStory, RunReport, Section, Story
from ..store import Store

__all__ = ["RENDERINGS", "Week", "build_week", "catch_up_window", "preview", "stage", "write_renderings"]

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
    # Articles each [[filters]] rule dropped: rule name → count.
    filtered: tuple[tuple[str, int], ...] = ()
    # Unsent articles older than digest.max_catch_up_days allows, published since the last issue.
    skipped: int = 0

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
    store = store.scoped(config.digest.key, shared_history=config.digest.shared_history)
    start, last = catch_up_window(config, store, now)
    log.info("window: %s to %s", start.isoformat(), now.isoformat())
    with stage("fetch"):
        # Each feed's articles in the window are extracted, and their languages found, as the feed is
        # read: in a worker process beside the fetching one when there is a core to spare for it.
        gathered = sources.gather(
            config, now=now, store=store, progress=progress, since=start, prepare=extract.extract_and_detect
        )
    known = store.first_seen(gathered.undated)
    dated = [_first_seen(a, gathered.undated, known) for a in gathered.articles]
    in_window = [a for a in dated if start < a.published <= now]
    skipped = _skipped(dated, store, last, start)
    with stage("extract"):
        # Extracted with their languages already (gather's prepare): what is left is folding copies.
        articles = dedupe.collapse_copies(in_window)
        seen = store.seen_ids(i for a in articles for i in a.ids)
        fresh = dedupe.drop_seen(articles, seen)
    # After drop_seen, so only new articles are counted; before dedupe, so a dropped one is never a copy.
    # After language detection, so a rule on language sees the detected one.
    kept = filters.apply_filters(fresh, config.filters)
    stories = _stories(config, kept.kept, store, now)
    with stage("summarize"):
        sections = _summarized_sections(config, stories, start, now)
        sections, summaries = _llm_summaries(config, sections, client, os.environ if env is None else env, store)
    digest = Digest(
        id=digest_id_for(now, store.issue_ids()), title=config.digest.title, start=start, end=now, sections=sections
    )
    with stage("render"):
        rendering = _render(config, digest, now)
    stamps = tuple(sorted((i, now) for i in gathered.undated if i not in known))
    problems = gathered.problems + summaries.problems + _skipped_problem(config, skipped, start)
    problems += _unknown_name(config, store, last)
    return Week(
        digest,
        rendering,
        len(gathered.articles),
        len(fresh),
        stamps,
        problems,
        summaries.responses,
        gathered.feeds,
        kept.dropped,
        skipped,
    )


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Log a stage's start (``stage: NAME``, what a terminal shows as progress) and its time when it ends."""
    log.info("stage: %s", name)
    started = time.perf_counter()
    try:
        yield
    finally:
        log.info("stage %s: %.2f s", name, time.perf_counter() - started)


def _stories(config: Config, articles: tuple[Article, ...], store: Store, now: datetime) -> tuple[Story, ...]:
    """Near-duplicates folded, the rest clustered into stories, each marked when it updates a sent one."""
    with stage("dedupe"):
        unique = dedupe.near_duplicates(
            articles, threshold=config.dedupe.threshold, num_perm=config.dedupe.num_perm, bands=config.dedupe.bands
        )
    with stage("cluster"):
        clusterer = StoryClusterer(**config.cluster_params()).fit(unique)
        policy = _lead_policy(config)
        stories = build_stories(
            unique, clusterer.labels_, centrality=clusterer.centrality_, core=clusterer.core_, policy=policy
        )
    sent = store.remembered_stories(since=now - timedelta(days=config.rank.memory_days))
    memory = tuple(m for m in sent if m.sent_at <= now)
    return rank.recall(stories, memory, threshold=config.rank.update_threshold)


def _lead_policy(config: Config) -> LeadPolicy:
    """How a story's lead is chosen, and so which of its other links are written first."""
    return LeadPolicy(config.cluster.lead_sources, config.cluster.derivative_sources)


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
    )


def _summarized_sections(
    config: Config, stories: tuple[Story, ...], start: datetime, now: datetime
) -> tuple[Section, ...]:
    """The stories ranked into sections, the ones shown summarized (label, keyphrases, extractive summary).

    Scores and rule-based sections read only the articles, so only the stories that survive the cut to
    ``max_stories`` are summarized: a week of 100,000 articles shows 40 stories, not 20,000. Topic
    sections (``auto_sections`` without rules) group by the summaries, so then every story is summarized
    first.
    """
    if not config.sections and config.rank.auto_sections > 1:
        every = summarize.summarize(stories, config=config.summary).stories
        return rank.rank(every, rules=config.sections, config=config.rank, start=start, end=now)
    sections = rank.rank(stories, rules=config.sections, config=config.rank, start=start, end=now)
    shown = summarize.summarize([s for section in sections for s in section.stories], config=config.summary)
    by_id = {story.id: story for story in shown.stories}
    return tuple(replace(s, stories=tuple(by_id[x.id] for x in s.stories)) for s in sections)


def _llm_summaries(
    config: Config, sections: tuple[Section, ...], client: httpx.Client, env: Mapping[str, str], store: Store
) -> tuple[tuple[Section, ...], summarize.Summaries]:
    """The shown stories summarized by the LLM when it is configured: one call per story that is shown."""
    if config.summary.backend != "llm":
        return sections, summarize.Summaries(())
    shown = [story for section in sections for story in section.stories]
    done = summarize.llm_pass(shown, config=config.summary, client=client, env=env, cached=store.cached_response)
    by_id = {story.id: story for story in done.stories}
    return tuple(replace(s, stories=tuple(by_id[x.id] for x in s.stories)) for s in sections), done


def catch_up_window(config: Config, store: Store, now: datetime) -> tuple[datetime, datetime | None]:
    """Where the run's window starts, and the end of the last delivered issue (None before the first).

    The window is ``window_days`` long, reaching back further to the end of the last delivered
    issue when a run was missed, but never beyond ``max_catch_up_days``.
    """
    window = now - timedelta(days=config.digest.window_days)
    last = store.last_delivered(before=now)
    if last is None:
        return window, None
    return max(min(last, window), now - timedelta(days=config.digest.max_catch_up_days)), last


def _skipped(articles: list[Article], store: Store, last: datetime | None, start: datetime) -> int:
    """Unsent articles published after the last issue but before the capped window: reported, not lost silently."""
    if last is None or last >= start:
        return 0
    older = [a.id for a in articles if last < a.published <= start]
    return len(set(older) - store.seen_ids(older))


def _unknown_name(config: Config, store: Store, last: datetime | None) -> tuple[Problem, ...]:
    """A first issue in a store that holds other digests' issues: perhaps a renamed digest, losing its history."""
    others = sorted(store.digest_names() - {config.digest.key, ""})
    if last is not None or not others or config.digest.shared_history or store.issue_ids():
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
    return week.report(now, dry_run=True, outputs=write_renderings(week.rendering, out))
