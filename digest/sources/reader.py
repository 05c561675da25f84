"""One source read for a run, whatever its kind; every parse in a worker process within its budgets."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from ..config import Config, SourceConfig
from ..errors import ParseError, SourceError
from ..models import Article, FeedState, Problem
from .feeds import Parsed
from .fetch import Fetcher
from .folders import folder_files
from .fulltext import read_url
from .imap import read_imap
from .jobs import message_job, parse_feed_job, saved_file_job
from .workers import OutOfMemory, Overrun, WorkerDied, WorkersUnavailable, shared_pool

__all__ = ["Outcome", "Prepare", "Reader", "Window"]

log = logging.getLogger(__name__)

Prepare = Callable[[tuple[Article, ...]], tuple[Article, ...]]
"""What the pipeline does to each article of the window next, one article in, one out, in order.

A module-level function: it is sent to the worker processes by name.
"""

_T = TypeVar("_T")


@dataclass
class Outcome:
    """What reading one source gave: its articles, problems, and new feed state."""

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


@dataclass(frozen=True, slots=True)
class Window:
    """The run's window, and what the items in it go through as they are read."""

    start: datetime
    now: datetime
    prepare: Prepare | None
    env: Mapping[str, str] = field(default_factory=dict)


class Reader:
    """The run's reader of sources: :meth:`read` reads one, whatever its kind, its failures as problems."""

    def __init__(self, config: Config, fetcher: Fetcher, window: Window) -> None:
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

    async def load(self, location: str) -> bytes:
        if "://" in location:
            return (await self.fetcher.get(location)).body
        try:
            return Path(location).read_bytes()
        except OSError as exc:
            raise SourceError(f"cannot read: {exc.strerror or exc}", source=location, hint="check the path") from exc

    async def read(self, source: SourceConfig) -> Outcome:
        """One source, every failure caught: a bug in one feed's handling must not lose the others.

        A source that fails after its feed was fetched gives no article this run and is read in full
        again next run.
        """
        where = self.where(source)
        outcome = Outcome()
        try:
            if source.kind == "folder":
                outcome.found = await self._folder(Path(where), source, outcome.problems)
                outcome.read = True
            elif source.kind == "url":
                await read_url(self, source, outcome)
            elif source.kind == "imap":
                outcome.found = await self._read_imap(source, outcome.problems)
            else:
                outcome.found = await self.parse(await self.load(where), source, where, "", outcome.problems)
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
        """A mailbox, read in a thread (imapclient blocks, and the feeds' fetches go on meanwhile); each
        message parsed in a worker within its budgets as it arrives, as a saved ``.eml`` file is.
        """
        loop = asyncio.get_running_loop()

        def parse(raw: bytes, where: str) -> tuple[tuple[Article, bool] | None, list[Problem]]:
            # The mailbox's thread waits for the event loop to hand the message to a worker.
            return asyncio.run_coroutine_threadsafe(self._message(raw, where, source), loop).result()

        return await asyncio.to_thread(
            read_imap,
            source,
            fetch=self.config.fetch,
            start=self.start,
            now=self.now,
            env=self.env,
            ca_file=self.config.resolve(source.ca_file) if source.ca_file else None,
            problems=problems,
            parse=parse,
        )

    async def _message(
        self, raw: bytes, where: str, source: SourceConfig
    ) -> tuple[tuple[Article, bool] | None, list[Problem]]:
        try:
            return await self.work(where, message_job, raw, where, source, self.now)
        except ParseError as exc:
            return None, [Problem(exc.source, exc.message, exc.hint)]

    async def _folder(self, folder: Path, source: SourceConfig, problems: list[Problem]) -> Parsed:
        """Each saved file parsed in a worker on its own budget: one hostile file is one problem."""
        files, refused = folder_files(folder)
        problems.extend(refused)
        name = source.name or folder.name
        max_bytes = self.config.fetch.max_bytes

        async def one(shown: Path, target: Path) -> tuple[tuple[Article, bool] | None, list[Problem]]:
            try:
                return await self.work(str(shown), saved_file_job, str(shown), str(target), name, self.now, max_bytes)
            except ParseError as exc:
                return None, [Problem(exc.source, exc.message, exc.hint)]

        found: Parsed = []
        for article, noted in await asyncio.gather(*(one(shown, target) for shown, target in files)):
            problems.extend(noted)
            if article is not None:
                found.append(article)
        return found

    async def parse(
        self, data: bytes, source: SourceConfig, where: str, content_type: str, problems: list[Problem]
    ) -> Parsed:
        job = (data, where, source.name, source.category, self.now, content_type, self.config.fetch.max_bytes)
        found, noted, problem = await self.work(where, parse_feed_job, *job)
        problems.extend(noted)
        if problem is not None:
            raise ParseError(problem.message, source=problem.source, hint=problem.hint)
        return found

    async def _prepared(self, found: Parsed, where: str) -> Parsed:
        """``found`` with its items in the window through ``prepare``; the older ones as they were."""
        recent = [n for n, (article, _) in enumerate(found) if self.in_window(article)]
        if self.prepare is None or not recent:
            return found
        ready = await self.work(where, self.prepare, tuple(found[n][0] for n in recent))
        prepared = list(found)
        for n, article in zip(recent, ready, strict=True):
            prepared[n] = (article, found[n][1])
        return prepared

    def in_window(self, article: Article) -> bool:
        """Whether the run can carry ``article``: the later ones wait for their own week, unprepared."""
        return self.start < article.published <= self.now

    async def work(self, where: str, function: Callable[..., _T], *args: object) -> _T:
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
