"""Read every configured source concurrently; each failure becomes one :class:`Problem`, never an exception."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol, TypeVar, cast, runtime_checkable
from urllib.parse import urlsplit

import httpx

from .. import health
from ..clean import clean_problem
from ..config import Config, SourceConfig
from ..errors import FetchError, ParseError, RefusedError, SourceError
from ..models import Article, FeedState, Problem
from ..textutil import html_to_text
from ..urls import identity_key
from .caller import CallerThread, Proxy, loop_running
from .feeds import Parsed
from .fetch import Fetcher, Sleep
from .folders import folder_files
from .imap import read_imap
from .jobs import page_text, parse_feed_job, saved_file_job
from .opml import read_opml
from .states import failed, failure_problem, succeeded
from .workers import OutOfMemory, Overrun, WorkerDied, WorkersUnavailable, shared_pool

__all__ = ["FeedStates", "Gathered", "Prepare", "Progress", "gather"]

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called with (sources done, sources in all) as the stage goes."""

Prepare = Callable[[tuple[Article, ...]], tuple[Article, ...]]
"""What the pipeline does to each article of the window next, one article in, one out, in order.

A module-level function: it is sent to the worker processes by name.
"""

_T = TypeVar("_T")

# An OPML list may include others; past this depth it is surely a loop through ever-new URLs.
_MAX_INCLUDE_DEPTH = 8
# The most OPML lists one run reads, includes and all, and the most feeds they may list together: each
# list is read once however often it is included, and a fan-out past these is cut with one problem.
MAX_OPML_LISTS = 64
MAX_OPML_FEEDS = 20_000


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


@dataclass
class _Outcome:
    found: Parsed = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    state: FeedState | None = None
    # Whether the source was read (a 304 is read; a failure or a quarantined feed left out is not).
    read: bool = False

    def unfinished(self) -> None:
        """Nothing of this source counts as read: no article, and its feed is fetched in full next run."""
        self.found = []
        if self.state is not None:
            self.state = replace(self.state, etag="", last_modified="")


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
    window = _Window(start, now, prepare, os.environ if env is None else env)
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
    window: _Window,
) -> Gathered:
    # Built inside the event loop: its client and semaphores belong to that loop.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + config.fetch.run_seconds
    async with fetcher_for() as fetcher:
        reader = _Reader(config, fetcher, window)
        listed, problems = await reader.expand()
        reader.reserved = _reserved_names(config, listed)
        urls = [s.url for s in listed if s.url]
        reader.states = dict(store.feed_states(urls)) if store is not None and urls else {}
        done = 0

        async def one(source: SourceConfig) -> _Outcome:
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
        outcomes = [
            task.result() if not task.cancelled() else _late(reader.where(source), config.fetch.run_seconds)
            for source, task in zip(listed, tasks, strict=True)
        ]
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


def _late(where: str, seconds: float) -> _Outcome:
    hint = "it is tried again next run; raise fetch.run_seconds if the sources are many or slow"
    return _Outcome(problems=[Problem(where, f"not read within the run's deadline ({seconds:g}s)", hint)])


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


_ALREADY_READ = "already read"


@dataclass
class _Lists:
    """The OPML lists one run has read, by normalized location, and the feeds they listed so far."""

    seen: set[str] = field(default_factory=set)
    feeds: int = 0
    refused: bool = False

    def admit(self, location: str) -> str:
        """ "" if ``location`` is to be read now; else why not (:data:`_ALREADY_READ` needs no problem line)."""
        key = identity_key(location) if "://" in location else location
        if key in self.seen:
            return _ALREADY_READ
        if len(self.seen) >= MAX_OPML_LISTS:
            first, self.refused = not self.refused, True
            # One line for the whole cut, not one per list refused after it.
            return (
                f"more than {MAX_OPML_LISTS} OPML lists included: this one and later ones not read"
                if first
                else _ALREADY_READ
            )
        self.seen.add(key)
        return ""

    def take(self, location: str, feeds: list[SourceConfig], problems: list[Problem]) -> list[SourceConfig]:
        room = max(0, MAX_OPML_FEEDS - self.feeds)
        if len(feeds) > room:
            problems.append(
                Problem(
                    location,
                    f"OPML lists name more than {MAX_OPML_FEEDS} feeds together: the rest not read",
                    "split the lists",
                )
            )
            feeds = feeds[:room]
        self.feeds += len(feeds)
        return feeds


@dataclass(frozen=True, slots=True)
class _Window:
    """The run's window, and what the items in it go through as they are read."""

    start: datetime
    now: datetime
    prepare: Prepare | None
    env: Mapping[str, str] = field(default_factory=dict)


class _Reader:
    def __init__(self, config: Config, fetcher: Fetcher, window: _Window) -> None:
        self.config = config
        self.fetcher = fetcher
        self.now = window.now
        self.start = window.start
        self.prepare = window.prepare
        self.env = window.env
        self.states: dict[str, FeedState] = {}
        # Source names the config gives (casefolded): no feed may call itself by one of them.
        self.reserved: frozenset[str] = frozenset()
        # OPML lists that could not be read (as their problems name them).
        self.unread_lists: set[str] = set()
        self.pool = shared_pool(config.fetch.parse_memory_mb)
        # Inputs parsed at once: one worker process each.
        self.slots = asyncio.Semaphore(config.fetch.parse_workers or os.cpu_count() or 1)

    def where(self, source: SourceConfig) -> str:
        location = source.location
        return location if "://" in location else str(self.config.resolve(location))

    async def expand(self) -> tuple[list[SourceConfig], list[Problem]]:
        """The configured sources with every OPML list replaced by the feeds it lists, each feed once."""
        listed: dict[str, SourceConfig] = {}
        problems: list[Problem] = []
        lists = _Lists()
        for source in self.config.sources:
            if source.kind == "opml":
                for feed in await self._opml(self.where(source), source.category, (), problems, lists):
                    listed.setdefault(feed.location, feed)
            else:
                listed.setdefault(self.where(source), source)
        return list(listed.values()), problems

    async def _opml(
        self, location: str, category: str, chain: tuple[str, ...], problems: list[Problem], lists: _Lists
    ) -> list[SourceConfig]:
        if location in chain or len(chain) > _MAX_INCLUDE_DEPTH:
            loop = " → ".join((*chain, location))
            problems.append(Problem(chain[0], f"OPML lists include each other in a loop: {loop}", "remove one include"))
            return []
        refusal = lists.admit(location)
        if refusal:
            if refusal != _ALREADY_READ:
                problems.append(Problem(location, refusal, "split the subscription lists or include fewer"))
            return []
        try:
            opml = read_opml(await self._load(location), location=location, category=category)
        except SourceError as exc:
            problems.append(Problem(exc.source, exc.message, exc.hint))
            self.unread_lists.add(exc.source)
            return []
        problems.extend(
            Problem(location, note, "flatten the list: export it again from your reader") for note in opml.cut
        )
        if opml.self_references:
            problems.append(Problem(location, "the OPML list names itself as a feed", "remove that outline; skipped"))
        feeds = [f for f in opml.feeds if f.location not in chain]
        if len(feeds) < len(opml.feeds):
            problems.append(Problem(location, "lists an OPML list that includes it as a feed", "remove that outline"))
        feeds = lists.take(location, feeds, problems)
        for include in opml.includes:
            feeds.extend(await self._opml(include, category, (*chain, location), problems, lists))
        return feeds

    async def _load(self, location: str) -> bytes:
        if "://" in location:
            return (await self.fetcher.get(location)).body
        try:
            return Path(location).read_bytes()
        except OSError as exc:
            raise SourceError(f"cannot read: {exc.strerror or exc}", source=location, hint="check the path") from exc

    async def read(self, source: SourceConfig) -> _Outcome:
        """One source, every failure caught: a bug in one feed's handling must not lose the others.

        A source that fails after its feed was fetched gives no article this run and is read in full
        again next run.
        """
        where = self.where(source)
        outcome = _Outcome()
        try:
            if source.kind == "folder":
                outcome.found = await self._folder(Path(where), source, outcome.problems)
                outcome.read = True
            elif source.kind == "url":
                await self._read_url(source, outcome)
            elif source.kind == "imap":
                outcome.found = await self._read_imap(source, outcome.problems)
            else:
                outcome.found = await self._parse(await self._load(where), source, where, "", outcome.problems)
                outcome.read = True
            outcome.found = _own_names(await self._prepared(outcome.found, where), source, where, self.reserved)
        except SourceError as exc:
            outcome.unfinished()
            outcome.problems.append(Problem(exc.source, exc.message, exc.hint))
        except Exception as exc:
            log.exception("unexpected error reading %s", where)
            outcome.unfinished()
            outcome.problems.append(
                Problem(where, f"unexpected error: {type(exc).__name__}: {exc}", "a bug in digest: please report it")
            )
        return outcome

    async def _read_imap(self, source: SourceConfig, problems: list[Problem]) -> Parsed:
        """A mailbox, read in a thread: imapclient blocks, and the feeds' fetches go on meanwhile."""
        return await asyncio.to_thread(
            read_imap,
            source,
            fetch=self.config.fetch,
            start=self.start,
            now=self.now,
            env=self.env,
            ca_file=self.config.resolve(source.ca_file) if source.ca_file else None,
            problems=problems,
        )

    async def _folder(self, folder: Path, source: SourceConfig, problems: list[Problem]) -> Parsed:
        """Each saved file parsed in a worker on its own budget: one hostile file is one problem."""
        files, refused = folder_files(folder)
        problems.extend(refused)
        name = source.name or folder.name
        max_bytes = self.config.fetch.max_bytes

        async def one(shown: Path, target: Path) -> tuple[tuple[Article, bool] | None, list[Problem]]:
            try:
                return await self._work(str(shown), saved_file_job, str(shown), str(target), name, self.now, max_bytes)
            except ParseError as exc:
                return None, [Problem(exc.source, exc.message, exc.hint)]

        found: Parsed = []
        for article, noted in await asyncio.gather(*(one(shown, target) for shown, target in files)):
            problems.extend(noted)
            if article is not None:
                found.append(article)
        return found

    async def _parse(
        self, data: bytes, source: SourceConfig, where: str, content_type: str, problems: list[Problem]
    ) -> Parsed:
        job = (data, where, source.name, source.category, self.now, content_type, self.config.fetch.max_bytes)
        found, noted, problem = await self._work(where, parse_feed_job, *job)
        problems.extend(noted)
        if problem is not None:
            raise ParseError(problem.message, source=problem.source, hint=problem.hint)
        return found

    async def _prepared(self, found: Parsed, where: str) -> Parsed:
        """``found`` with its items in the window through ``prepare``; the older ones as they were."""
        recent = [n for n, (article, _) in enumerate(found) if self._in_window(article)]
        if self.prepare is None or not recent:
            return found
        ready = await self._work(where, self.prepare, tuple(found[n][0] for n in recent))
        prepared = list(found)
        for n, article in zip(recent, ready, strict=True):
            prepared[n] = (article, found[n][1])
        return prepared

    def _in_window(self, article: Article) -> bool:
        """Whether the run can carry ``article``: the later ones wait for their own week, unprepared."""
        return self.start < article.published <= self.now

    async def _work(self, where: str, function: Callable[..., _T], *args: object) -> _T:
        """``function(*args)`` in a worker process within ``fetch.parse_seconds`` and ``fetch.parse_memory_mb``;
        :class:`ParseError` naming ``where`` when it takes longer or more (the worker is replaced) or its process dies.

        Never on the event loop's thread while worker processes can be started: CPU spent here holds up
        the responses of every feed still being fetched, against their deadline.
        """
        seconds = self.config.fetch.parse_seconds
        if not self.pool.unavailable:
            async with self.slots:
                try:
                    return await self.pool.run(seconds, function, *args)
                except Overrun as exc:
                    raise ParseError(
                        f"reading it {exc}: stopped",
                        source=where,
                        hint="raise fetch.parse_seconds if it is large but honest; else it attacks feed readers",
                    ) from exc
                except OutOfMemory as exc:
                    raise ParseError(
                        f"reading it {exc}: stopped",
                        source=where,
                        hint="raise fetch.parse_memory_mb if it is large but honest; else it attacks feed readers",
                    ) from exc
                except WorkerDied as exc:
                    raise ParseError(
                        str(exc), source=where, hint="it crashed the parser or ran it out of memory: tell its publisher"
                    ) from exc
                except WorkersUnavailable as exc:
                    # No worker processes here (a caller without a __main__ guard, a sandbox): work in this one.
                    log.warning("worker processes unavailable, working in this process: %s", exc)
        return function(*args)

    async def _read_url(self, source: SourceConfig, outcome: _Outcome) -> None:
        url = source.url
        old = self.states.get(url, FeedState(url))
        if not health.due(old, self.config.fetch.quarantine_after):
            outcome.state = health.left_out(old)
            outcome.problems.append(health.quarantine_problem(outcome.state, self.config.fetch.quarantine_after))
            return
        try:
            fetched = await self.fetcher.get(old.moved_to or url, etag=old.etag, last_modified=old.last_modified)
            moved = fetched.moved_to or old.moved_to
            if moved:
                outcome.problems.append(
                    Problem(url, f"moved permanently to {moved}", "replace the URL in the config with the new one")
                )
            found = (
                []
                if fetched.not_modified
                else await self._parse(fetched.body, source, url, fetched.content_type, outcome.problems)
            )
        except SourceError as exc:
            outcome.state = failed(old, exc, self.now, self.config.fetch.quarantine_after)
            outcome.problems.append(failure_problem(outcome.state, exc))
            return
        outcome.state = succeeded(old, fetched, moved, self.now, found)
        outcome.read = True
        if source.full_text:
            seconds = self.config.fetch.source_seconds
            found, late = await self._full_text(found, outcome.problems, seconds)
            if late:
                outcome.problems.append(
                    Problem(
                        url,
                        f"{late} full-text pages not read within fetch.source_seconds ({seconds:g}s)",
                        "those items are tried again next run; raise fetch.source_seconds if the site is just slow",
                    )
                )
                # The items left out are read next run: the feed must then come whole, not as a 304.
                outcome.state = replace(outcome.state, etag="", last_modified="")
        outcome.found = found

    async def _full_text(self, found: Parsed, problems: list[Problem], seconds: float) -> tuple[Parsed, int]:
        """Each recent teaser replaced with the article extracted from its page (a page that fails keeps
        it), and how many items were left out because their pages were not read within ``seconds``.

        Without a budget, a feed of slow pages takes items ÷ per_host × the timeout: hours at 20 s a page.
        """
        until = asyncio.get_running_loop().time() + seconds
        pages = [
            asyncio.ensure_future(self._page(a, d, problems) if self._in_window(a) else _same(a, d)) for a, d in found
        ]
        if pages:
            await asyncio.wait(pages, timeout=max(0.0, until - asyncio.get_running_loop().time()))
        for page in pages:
            page.cancel()
        await asyncio.gather(*pages, return_exceptions=True)
        read = [page.result() for page in pages if not page.cancelled()]
        return read, len(pages) - len(read)

    async def _page(self, article: Article, dated: bool, problems: list[Problem]) -> tuple[Article, bool]:
        if not article.url:
            return article, dated
        try:
            page = await self.fetcher.get(article.url, accept="text/html,application/xhtml+xml")
            text = await self._work(article.url, page_text, page.body, page.content_type)
        except RefusedError as exc:
            # Not a page that happens to be down: the feed links to a private address, which its
            # owner may be probing for. The teaser stays; the report says why its page was not read.
            problems.append(Problem(exc.source, exc.message, exc.hint))
            return article, dated
        except ParseError as exc:
            problems.append(Problem(exc.source, exc.message + "; its teaser is kept", exc.hint))
            return article, dated
        except FetchError as exc:
            log.warning("full text of %s not fetched: %s", article.url, exc)
            return article, dated
        teaser = article.text or html_to_text(article.summary_html)
        return (replace(article, text=text) if len(text) > len(teaser) else article), dated


def _reserved_names(config: Config, listed: Iterable[SourceConfig]) -> frozenset[str]:
    """Every source name the config (or an OPML list it names) gives or ranks by, casefolded."""
    names = [s.name for s in (*config.sources, *listed)]
    names += [*config.cluster.lead_sources, *config.cluster.derivative_sources, *config.rank.pinned_sources]
    names += list(config.rank.source_weights)
    return frozenset(n.casefold() for n in names if n)


def _own_names(found: Parsed, source: SourceConfig, where: str, reserved: frozenset[str]) -> Parsed:
    """``found`` with every source name the feed gave itself that the config reserves made its own.

    A feed that titles itself "Editor's picks" must not be taken for the configured source of that
    name (pinned, leading stories, weighted): its name gets its address added.
    """
    out: Parsed = []
    for article, dated in found:
        if article.source != source.name and article.source.casefold() in reserved:
            host = urlsplit(where).hostname if "://" in where else where
            article = replace(article, source=f"{article.source} ({host or where})")
        out.append((article, dated))
    return out


async def _same(article: Article, dated: bool) -> tuple[Article, bool]:
    return article, dated
