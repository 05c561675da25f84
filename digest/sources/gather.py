"""Read every configured source concurrently; each failure becomes one :class:`Problem`, never an exception."""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import os
import queue
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol, TypeVar, cast, runtime_checkable
from urllib.parse import urlsplit

import httpx

from .. import health
from ..clean import clean_problem, clean_text
from ..config import Config, SourceConfig
from ..errors import FetchError, ParseError, RefusedError, SourceError
from ..models import Article, FeedState, Problem
from ..textutil import html_to_text, main_text
from ..urls import identity_key
from .feeds import Parsed, parse_feed
from .fetch import Fetched, Fetcher, Sleep
from .folders import read_folder
from .imap import read_imap
from .opml import read_opml

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
# Below this many feeds, starting worker processes costs more than working in parallel saves.
_POOL_MIN_FEEDS = 32


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
    if not _loop_running():
        return asyncio.run(_gather(config, fetcher, store=store, progress=progress, window=window))
    # Called from a running event loop (a notebook, an async application): asyncio.run cannot nest,
    # so the fetches get a loop of their own in a worker thread while this one waits.
    caller = _CallerThread()
    proxy = None if store is None else cast(FeedStates, _Proxy(store, caller))
    with ThreadPoolExecutor(1, thread_name_prefix="digest-gather") as pool:
        future = pool.submit(asyncio.run, _gather(config, fetcher, store=proxy, progress=progress, window=window))
        return caller.serve(future)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class _CallerThread:
    """Runs calls from a worker thread in the thread that made this, which waits meanwhile.

    A state store's connection belongs to the thread that opened it (SQLite checks), so a worker
    reads the store through here.
    """

    def __init__(self) -> None:
        self._calls: queue.SimpleQueue[tuple[Callable[[], object], Future[object]] | None] = queue.SimpleQueue()

    def call(self, function: Callable[[], _T]) -> _T:
        done: Future[object] = Future()
        self._calls.put((function, done))
        return cast(_T, done.result())

    def serve(self, future: Future[_T]) -> _T:
        future.add_done_callback(lambda _: self._calls.put(None))
        while (call := self._calls.get()) is not None:
            function, done = call
            try:
                done.set_result(function())
            except BaseException as exc:  # handed to the worker, which raises it
                done.set_exception(exc)
        return future.result()


class _Proxy:
    """``target``'s methods, each called in the thread of ``caller``."""

    def __init__(self, target: object, caller: _CallerThread) -> None:
        self._target = target
        self._caller = caller

    def __getattr__(self, name: str) -> Callable[..., object]:
        method = getattr(self._target, name)

        def call(*args: object, **kwargs: object) -> object:
            return self._caller.call(lambda: method(*args, **kwargs))

        return call


async def _gather(
    config: Config,
    fetcher_for: Callable[[], Fetcher],
    *,
    store: FeedStates | None,
    progress: Progress | None,
    window: _Window,
) -> Gathered:
    # Built inside the event loop: its client and semaphores belong to that loop.
    async with fetcher_for() as fetcher:
        reader = _Reader(config, fetcher, window)
        listed, problems = await reader.expand()
        reader.reserved = _reserved_names(config, listed)
        feeds = sum(s.kind not in ("folder", "imap") for s in listed)
        workers = _pool_size(config.fetch.parse_workers, feeds, preparing=window.prepare is not None)
        reader.pool = _process_pool(workers) if workers else None
        reader.parse_apart = config.fetch.parse_workers != 1
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

        try:
            outcomes = await asyncio.gather(*(one(s) for s in listed))
        finally:
            if reader.pool is not None:
                reader.pool.shutdown(cancel_futures=True)
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
        self.pool: Executor | None = None
        # Whether feeds are parsed in the pool (parse_workers other than 1) or in this process.
        self.parse_apart = False
        # Source names the config gives (casefolded): no feed may call itself by one of them.
        self.reserved: frozenset[str] = frozenset()
        # OPML lists that could not be read (as their problems name them).
        self.unread_lists: set[str] = set()

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
        """One source, every failure caught: a bug in one feed's handling must not lose the others."""
        where = self.where(source)
        outcome = _Outcome()
        try:
            if source.kind == "folder":
                outcome.found = read_folder(
                    Path(where),
                    name=source.name,
                    now=self.now,
                    problems=outcome.problems,
                    max_bytes=self.config.fetch.max_bytes,
                )
                outcome.read = True
            elif source.kind == "url":
                await self._read_url(source, outcome)
            elif source.kind == "imap":
                outcome.found = await self._read_imap(source, outcome.problems)
            else:
                outcome.found = await self._parse(await self._load(where), source, where, "", outcome.problems)
                outcome.read = True
            outcome.found = _own_names(await self._prepared(outcome.found), source, where, self.reserved)
        except SourceError as exc:
            outcome.problems.append(Problem(exc.source, exc.message, exc.hint))
        except Exception as exc:
            log.exception("unexpected error reading %s", where)
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

    async def _parse(
        self, data: bytes, source: SourceConfig, where: str, content_type: str, problems: list[Problem]
    ) -> Parsed:
        job = (data, where, source.name, source.category, self.now, content_type)
        found, noted, problem = await self._call(self.parse_apart, _parse_job, *job)
        problems.extend(noted)
        if problem is not None:
            raise ParseError(problem.message, source=problem.source, hint=problem.hint)
        return found

    async def _prepared(self, found: Parsed) -> Parsed:
        """``found`` with its items in the window through ``prepare``; the older ones as they were."""
        recent = [n for n, (article, _) in enumerate(found) if self._in_window(article)]
        if self.prepare is None or not recent:
            return found
        # Never here while there is a pool, even when its worker falls behind: work done here holds up
        # the event loop, and with it the responses of the feeds still being fetched, against their deadline.
        ready = await self._call(True, self.prepare, tuple(found[n][0] for n in recent))
        prepared = list(found)
        for n, article in zip(recent, ready, strict=True):
            prepared[n] = (article, found[n][1])
        return prepared

    def _in_window(self, article: Article) -> bool:
        """Whether the run can carry ``article``: the later ones wait for their own week, unprepared."""
        return self.start < article.published <= self.now

    async def _call(self, apart: bool, function: Callable[..., _T], *args: object) -> _T:
        """``function(*args)`` in a worker process when ``apart`` and there is a pool, else in this one."""
        if apart and self.pool is not None:
            try:
                return await asyncio.get_running_loop().run_in_executor(self.pool, function, *args)
            except (BrokenExecutor, RuntimeError, OSError) as exc:
                # No worker processes here (a caller without a __main__ guard, a sandbox): work in this one.
                log.warning("worker processes unavailable, working in this process: %s", exc)
                if self.pool is not None:
                    self.pool.shutdown(wait=False, cancel_futures=True)
                    self.pool = None
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
            outcome.state = _failed(old, exc, self.now, self.config.fetch.quarantine_after)
            outcome.problems.append(_failure_problem(outcome.state, exc))
            return
        outcome.state = _succeeded(old, fetched, moved, self.now, found)
        outcome.read = True
        outcome.found = await self._full_text(found, outcome.problems) if source.full_text else found

    async def _full_text(self, found: Parsed, problems: list[Problem]) -> Parsed:
        """Replace each recent teaser with the article extracted from its page; a page that fails keeps it."""
        pages = (self._page(a, d, problems) if self._in_window(a) else _same(a, d) for a, d in found)
        return list(await asyncio.gather(*pages))

    async def _page(self, article: Article, dated: bool, problems: list[Problem]) -> tuple[Article, bool]:
        if not article.url:
            return article, dated
        try:
            page = await self.fetcher.get(article.url, accept="text/html,application/xhtml+xml")
        except RefusedError as exc:
            # Not a page that happens to be down: the feed links to a private address, which its
            # owner may be probing for. The teaser stays; the report says why its page was not read.
            problems.append(Problem(exc.source, exc.message, exc.hint))
            return article, dated
        except FetchError as exc:
            log.warning("full text of %s not fetched: %s", article.url, exc)
            return article, dated
        text = main_text(_decode(page))
        teaser = article.text or html_to_text(article.summary_html)
        return (replace(article, text=text) if len(text) > len(teaser) else article), dated


def _pool_size(workers: int, feeds: int, *, preparing: bool) -> int:
    """Processes to parse feeds in, so a long list uses every core; none (0) for a short one.

    With one parser (this process) a long list still gets one worker to prepare the window's items in,
    when there is a second core: preparing them costs about half as much as parsing, and it is done
    while this process fetches and parses instead of after it.
    """
    cores = os.cpu_count() or 1
    workers = workers or cores
    if feeds < _POOL_MIN_FEEDS or (workers == 1 and not (preparing and cores > 1)):
        return 0
    return min(workers, feeds)


def _process_pool(workers: int) -> Executor:
    # spawn, not fork: forking a process that runs an event loop and threads is unsafe.
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def _parse_job(
    data: bytes, location: str, name: str, category: str, now: datetime, content_type: str
) -> tuple[Parsed, list[Problem], Problem | None]:
    """Parse in a worker process; the error comes back as a value (keyword-only context does not pickle)."""
    problems: list[Problem] = []
    try:
        found = parse_feed(
            data,
            location=location,
            name=name,
            category=category,
            now=now,
            content_type=content_type,
            problems=problems,
        )
    except SourceError as exc:
        return [], problems, Problem(exc.source, exc.message, exc.hint)
    return found, problems, None


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


def _decode(page: Fetched) -> str:
    """An article page as clean text (a charset such as UTF-7 can still decode to a lone surrogate)."""
    charset = page.content_type.partition("charset=")[2].split(";")[0].strip(" \"'") or "utf-8"
    try:
        return clean_text(page.body.decode(charset, errors="replace"))
    except LookupError:
        return clean_text(page.body.decode("utf-8", errors="replace"))


def _succeeded(old: FeedState, fetched: Fetched, moved: str, now: datetime, found: Parsed) -> FeedState:
    if fetched.not_modified:  # a 304 may omit the validators: keep the ones that earned it
        etag, modified = fetched.etag or old.etag, fetched.last_modified or old.last_modified
    elif any(article.published > now for article, dated in found if dated):
        # Items dated after this run's now wait for a later window: a 304 then would hide them, so the
        # feed is fetched in full next run (a backfill of past weeks, a publisher's clock ahead of ours).
        etag, modified = "", ""
    else:
        etag, modified = fetched.etag, fetched.last_modified
    newest = max((a.published for a, dated in found if dated and a.published <= now), default=None)
    if old.newest_item is not None and (newest is None or newest < old.newest_item):
        newest = old.newest_item
    return replace(
        old,
        etag=etag,
        last_modified=modified,
        failures=0,
        status=fetched.status,
        error="",
        moved_to=moved,
        checked_at=now,
        last_success=now,
        gone=False,
        skipped=0,
        newest_item=newest,
    )


def _failed(old: FeedState, exc: SourceError, now: datetime, quarantine_after: int) -> FeedState:
    status = exc.status if isinstance(exc, FetchError) and exc.status else 0
    # 410 Gone counts as a full streak of failures: the feed enters the quarantine schedule at once.
    failures = max(old.failures + 1, quarantine_after) if status == 410 else old.failures + 1
    # A body that does not parse must be fetched in full again next run, not answered with 304.
    unparsed = isinstance(exc, ParseError)
    return replace(
        old,
        etag="" if unparsed else old.etag,
        last_modified="" if unparsed else old.last_modified,
        failures=failures,
        status=status,
        error=exc.message,
        gone=status == 410,
        checked_at=now,
        skipped=0,
    )


def _failure_problem(state: FeedState, exc: SourceError) -> Problem:
    if state.gone:
        return _gone_problem(state)
    streak = f" (failed {state.failures} runs in a row)" if state.failures > 1 else ""
    return Problem(state.url, exc.message + streak, exc.hint)


def _gone_problem(state: FeedState) -> Problem:
    since = f" since {state.checked_at:%Y-%m-%d}" if state.checked_at else ""
    return Problem(
        state.url, f"feed is dead (HTTP 410 Gone{since})", "remove it from the config; it is tried ever more rarely"
    )
