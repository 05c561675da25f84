"""Read every configured source concurrently; each failure becomes one :class:`Problem`, never an exception."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol, cast, runtime_checkable

import httpx

from ..clean import clean_problem
from ..config import Config, SourceConfig
from ..models import Article, FeedState, Problem
from .caller import CallerThread, Proxy, loop_running
from .expand import MAX_OPML_FEEDS, MAX_OPML_LISTS, expand
from .feeds import Parsed
from .fetch import Fetcher, Sleep
from .reader import Outcome, Prepare, Reader, Window

__all__ = ["MAX_OPML_FEEDS", "MAX_OPML_LISTS", "FeedStates", "Gathered", "Prepare", "Progress", "gather"]

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called with (sources done, sources in all) as the stage goes."""


class FeedStates(Protocol):
    """The part of the state store the source stage reads (it never writes)."""

    def feed_states(self, urls: Iterable[str]) -> Mapping[str, FeedState]: ...


@runtime_checkable
class KnownIds(Protocol):
    """A store that remembers the ids earlier versions gave articles (a GUID before it was scoped to its feed)."""

    def known_aliases(self, pairs: Iterable[tuple[str, str]]) -> frozenset[tuple[str, str]]: ...


@dataclass(frozen=True, slots=True)
class Gathered:
    """What the source stage returns: the articles, the ones with no date, what failed, and feed health.

    ``feeds`` is the new state of every fetched feed URL; the pipeline saves it with the run. Articles
    in the window (after its start, not after ``now``) have been through ``prepare`` when :func:`gather`
    was given one.
    """

    articles: tuple[Article, ...]
    undated: frozenset[str]
    problems: tuple[Problem, ...]
    feeds: tuple[FeedState, ...] = ()
    # Sources (feeds, files, folders, OPML lists) this run tried to read, and how many of them it could.
    sources: int = 0
    read: int = 0

    @property
    def all_failed(self) -> bool:
        """Whether there were sources to read and not one of them could be (nothing new would be a lie)."""
        return self.sources > 0 and self.read == 0


def gather(
    config: Config,
    *,
    now: datetime,
    store: FeedStates | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Progress | None = None,
    since: datetime | None = None,
    sleep: Sleep = asyncio.sleep,
    prepare: Prepare | None = None,
    env: Mapping[str, str] | None = None,
) -> Gathered:
    """Read every source in ``config``; failures are reported in :attr:`Gathered.problems`, never raised.

    ``since`` is where the run's window starts (``now - window_days`` by default): full pages are fetched
    for the items from then on, the ones the digest can carry. ``sleep`` waits between retries.
    ``prepare`` is applied to those items of each source as the source is read, in a worker process
    when there are any: on a machine with a core to spare that work overlaps with fetching.
    ``env`` holds the mailbox passwords ``password_env`` names (default: the process environment).
    """
    start = since if since is not None else now - timedelta(days=config.digest.window_days)
    fetcher = functools.partial(Fetcher, config.fetch, transport=transport, sleep=sleep)
    window = Window(start, now, prepare, os.environ if env is None else env)
    if not loop_running():
        return asyncio.run(_gather(config, fetcher, store=store, progress=progress, window=window))
    # Called from a running event loop (a notebook, an async application): asyncio.run cannot nest,
    # so the fetches get a loop of their own in a worker thread while this one waits.
    caller = CallerThread()
    proxy = None if store is None else cast(FeedStates, Proxy(store, caller))
    with ThreadPoolExecutor(1, thread_name_prefix="digest-gather") as pool:
        future = pool.submit(asyncio.run, _gather(config, fetcher, store=proxy, progress=progress, window=window))
        return caller.serve(future)


async def _gather(
    config: Config,
    fetcher_for: Callable[[], Fetcher],
    *,
    store: FeedStates | None,
    progress: Progress | None,
    window: Window,
) -> Gathered:
    # Built inside the event loop: its client and semaphores belong to that loop.
    deadline = asyncio.get_running_loop().time() + config.fetch.run_seconds
    async with fetcher_for() as fetcher:
        reader = Reader(config, fetcher, window)
        listed, problems = await expand(reader)
        reader.reserved = _reserved_names(config, listed)
        urls = [s.url for s in listed if s.url]
        reader.states = dict(store.feed_states(urls)) if store is not None and urls else {}
        outcomes = await _read_all(reader, listed, progress, deadline)
    found = [pair for outcome in outcomes for pair in outcome.found]
    if isinstance(store, KnownIds):
        found = _known_as_before(found, store)
    states = []
    for outcome in outcomes:
        problems.extend(outcome.problems)
        if outcome.state is not None:
            states.append(outcome.state)
    undated = frozenset(article.id for article, dated in found if not dated)
    # An OPML list that could not be read is a source that failed, though it lists no feed to try.
    failed_lists = sum(1 for p in problems if p.source in reader.unread_lists)
    read = sum(outcome.read for outcome in outcomes)
    # Problem lines quote what feeds sent (titles, error text): they reach a terminal and the store.
    cleaned = tuple(clean_problem(p) for p in problems)
    return Gathered(
        tuple(article for article, _ in found),
        undated,
        cleaned,
        tuple(states),
        sources=len(listed) + failed_lists,
        read=read,
    )


async def _read_all(
    reader: Reader, listed: list[SourceConfig], progress: Progress | None, deadline: float
) -> list[Outcome]:
    """Every source read at once until the run's ``deadline`` (event loop time); those left are late."""
    loop = asyncio.get_running_loop()
    done = 0

    async def one(source: SourceConfig) -> Outcome:
        nonlocal done
        outcome = await reader.read(source)
        done += 1
        if progress is not None:
            progress(done, len(listed))
        return outcome

    tasks = [asyncio.ensure_future(one(s)) for s in listed]
    if tasks:
        await asyncio.wait(tasks, timeout=max(0.0, deadline - loop.time()))
    for task in tasks:
        task.cancel()  # past the run's deadline: what is still being read is tried next run
    await asyncio.gather(*tasks, return_exceptions=True)
    seconds = reader.config.fetch.run_seconds
    return [
        task.result() if not task.cancelled() else _late(reader.where(source), seconds)
        for source, task in zip(listed, tasks, strict=True)
    ]


def _late(where: str, seconds: float) -> Outcome:
    hint = "it is tried again next run; raise fetch.run_seconds if the sources are many or slow"
    return Outcome(problems=[Problem(where, f"not read within the run's deadline ({seconds:g}s)", hint)])


def _known_as_before(found: Parsed, store: KnownIds) -> Parsed:
    """Articles the store knew under an earlier id keep that id, so what was seen stays seen.

    An alias is taken at most once a run: two feeds whose GUIDs an old store could not tell apart
    do not become one article again.
    """
    pairs = [(alias, article.source) for article, _ in found for alias in article.aliases]
    known = store.known_aliases(pairs) if pairs else frozenset()
    if not known:
        return found
    taken: set[str] = set()
    out: Parsed = []
    for article, dated in found:
        alias = next((a for a in article.aliases if (a, article.source) in known and a not in taken), "")
        if alias:
            taken.add(alias)
            article = replace(article, id=alias)
        out.append((article, dated))
    return out


def _reserved_names(config: Config, listed: Iterable[SourceConfig]) -> frozenset[str]:
    """Every source name the config (or an OPML list it names) gives or ranks by, casefolded."""
    names = [s.name for s in (*config.sources, *listed)]
    names += [*config.cluster.lead_sources, *config.cluster.derivative_sources, *config.rank.pinned_sources]
    names += list(config.rank.source_weights)
    return frozenset(n.casefold() for n in names if n)
