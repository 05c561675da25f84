"""Feeds over HTTP: fetched against their saved state (health, ETag), parsed, and for ``full_text``
sources each recent item's page fetched and its article extracted, within ``fetch.source_seconds``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from .. import health
from ..config import SourceConfig
from ..errors import FetchError, ParseError, RefusedError, SourceError
from ..models import Article, FeedState, Problem
from ..textutil import html_to_text
from .feeds import Parsed
from .jobs import page_text
from .states import failed, failure_problem, succeeded

if TYPE_CHECKING:
    from .reader import Outcome, Reader

__all__ = ["read_url"]

log = logging.getLogger(__name__)


async def read_url(reader: Reader, source: SourceConfig, outcome: Outcome) -> None:
    url = source.url
    old = reader.states.get(url, FeedState(url))
    if not health.due(old, reader.config.fetch.quarantine_after):
        outcome.state = health.left_out(old)
        outcome.problems.append(health.quarantine_problem(outcome.state, reader.config.fetch.quarantine_after))
        return
    try:
        fetched = await reader.fetcher.get(old.moved_to or url, etag=old.etag, last_modified=old.last_modified)
        moved = fetched.moved_to or old.moved_to
        if moved:
            outcome.problems.append(
                Problem(url, f"moved permanently to {moved}", "replace the URL in the config with the new one")
            )
        found = (
            []
            if fetched.not_modified
            else await reader.parse(fetched.body, source, url, fetched.content_type, outcome.problems)
        )
    except SourceError as exc:
        outcome.state = failed(old, exc, reader.now, reader.config.fetch.quarantine_after)
        outcome.problems.append(failure_problem(outcome.state, exc))
        return
    outcome.state = succeeded(old, fetched, moved, reader.now, found)
    outcome.read = True
    if source.full_text:
        seconds = reader.config.fetch.source_seconds
        found, late = await _full_text(reader, found, outcome.problems, seconds)
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


async def _full_text(reader: Reader, found: Parsed, problems: list[Problem], seconds: float) -> tuple[Parsed, int]:
    """Each recent teaser replaced with the article extracted from its page (a page that fails keeps
    it), and how many items were left out because their pages were not read within ``seconds``.

    Without a budget, a feed of slow pages takes items ÷ per_host × the timeout: hours at 20 s a page.
    """
    until = asyncio.get_running_loop().time() + seconds
    pages = [
        asyncio.ensure_future(_page(reader, a, d, problems) if reader.in_window(a) else _same(a, d)) for a, d in found
    ]
    if pages:
        await asyncio.wait(pages, timeout=max(0.0, until - asyncio.get_running_loop().time()))
    for page in pages:
        page.cancel()
    await asyncio.gather(*pages, return_exceptions=True)
    read = [page.result() for page in pages if not page.cancelled()]
    return read, len(pages) - len(read)


async def _page(reader: Reader, article: Article, dated: bool, problems: list[Problem]) -> tuple[Article, bool]:
    if not article.url:
        return article, dated
    try:
        page = await reader.fetcher.get(article.url, accept="text/html,application/xhtml+xml")
        text = await reader.work(article.url, page_text, page.body, page.content_type)
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


async def _same(article: Article, dated: bool) -> tuple[Article, bool]:
    return article, dated
