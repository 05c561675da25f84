"""What the worker processes do with one input: module-level functions, sent to them by name.

Bytes and plain values go in; :class:`~digest.models.Article` and :class:`~digest.models.Problem`
values come out, never feedparser's dictionaries. A failure comes back as a value: errors with
keyword-only context do not pickle.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..clean import clean_text
from ..config import SourceConfig
from ..errors import SourceError
from ..language import LanguageDetector
from ..models import Article, Problem
from ..textutil import main_text
from .feeds import Parsed, parse_feed
from .folders import read_folder_file
from .imap import message_article

__all__ = ["message_job", "page_text", "parse_feed_job", "saved_file_job", "warm"]


def parse_feed_job(
    data: bytes, location: str, name: str, category: str, now: datetime, content_type: str, max_bytes: int
) -> tuple[Parsed, list[Problem], Problem | None]:
    """A feed document's articles and problems, or the problem that it could not be read."""
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
            max_bytes=max_bytes,
        )
    except SourceError as exc:
        return [], problems, Problem(exc.source, exc.message, exc.hint)
    return found, problems, None


def saved_file_job(
    shown: str, target: str, source: str, now: datetime, max_bytes: int
) -> tuple[tuple[Article, bool] | None, list[Problem]]:
    """One saved article of a folder, read and parsed here."""
    return read_folder_file(Path(shown), Path(target), source=source, now=now, max_bytes=max_bytes)


def message_job(
    raw: bytes, where: str, source: SourceConfig, now: datetime
) -> tuple[tuple[Article, bool] | None, list[Problem]]:
    """One message fetched from a mailbox, read here as a saved ``.eml`` file is (and its newsletter parts)."""
    return message_article(raw, where=where, source=source, now=now)


def page_text(body: bytes, content_type: str) -> str:
    """The article text of a fetched web page, decoded by the charset its Content-Type names, as clean
    text (a charset such as UTF-7 can still decode to a lone surrogate).
    """
    charset = content_type.partition("charset=")[2].split(";")[0].strip(" \"'") or "utf-8"
    try:
        page = body.decode(charset, errors="replace")
    except LookupError:
        page = body.decode("utf-8", errors="replace")
    return main_text(clean_text(page))


def warm() -> None:
    """Load what the first input would otherwise pay for within its budget: the language model, the
    article extractor. A worker does this before it takes its first input.
    """
    LanguageDetector().detect("The harbour ferry runs every ten minutes from March.")
    main_text("<html><body><article><p>The harbour ferry runs every ten minutes.</p></article></body></html>")
