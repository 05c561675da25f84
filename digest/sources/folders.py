"""Folders of saved articles: ``.txt``, ``.md`` (YAML or TOML front matter), ``.html``, ``.eml``.

Each file is one article. Front matter may give ``title``, ``date``, ``url``, ``author`` and
``source``; without a title the first line is the title. Saved web pages keep only their article
text (see :func:`~digest.textutil.main_text`). A file that cannot be read is one problem naming the
file; the other files still count.
"""

from __future__ import annotations

import contextlib
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import markdown

from ..errors import ParseError, SourceError
from ..models import Article, Problem
from ..textutil import canonical_url, content_hash, guess_title, html_to_text, main_text, normalize_space

__all__ = ["FOLDER_SUFFIXES", "read_folder", "read_saved"]

FOLDER_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".eml")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


@dataclass(frozen=True, slots=True)
class _Saved:
    title: str
    text: str
    html: str
    meta: dict[str, str]


def read_folder(
    folder: Path, *, name: str = "", now: datetime, problems: list[Problem] | None = None
) -> list[tuple[Article, bool]]:
    """Saved articles in ``folder`` (recursively, in name order); unreadable files go to ``problems``."""
    if not folder.is_dir():
        raise SourceError("not a folder", source=str(folder), hint="point folder = … at a directory")
    source = name or folder.name
    results = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in FOLDER_SUFFIXES and p.is_file()):
        try:
            results.append(read_saved(path, source=source, now=now))
        except SourceError as exc:
            if problems is None:
                raise
            problems.append(Problem(exc.source, exc.message, exc.hint))
    return results


def read_saved(path: Path, *, source: str, now: datetime) -> tuple[Article, bool]:
    """One saved article, and whether its front matter or headers dated it."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(
            f"cannot read: {exc.strerror or exc}", source=str(path), hint="check its permissions"
        ) from exc
    reader = _READERS[".md" if path.suffix.lower() == ".markdown" else path.suffix.lower()]
    try:
        saved = reader(raw)
    except (UnicodeDecodeError, ValueError, LookupError) as exc:
        raise ParseError(
            f"cannot read saved article: {exc}", source=str(path), hint="save it as UTF-8 text, Markdown or HTML"
        ) from exc
    if not saved.text and saved.title in ("", "(untitled)"):
        raise ParseError("no text in the saved article", source=str(path), hint="the file is empty: remove it")
    published = _date(saved.meta.get("date", ""))
    dated = published is not None and published <= now
    url = saved.meta.get("url", "")
    article = Article(
        id=canonical_url(url) if url else "sha256:" + content_hash(saved.title, saved.text),
        title=saved.title or "(untitled)",
        url=canonical_url(url) if url else "",
        source=saved.meta.get("source") or source,
        published=published if dated and published else now,
        text=saved.text,
        summary_html=saved.html,
        author=saved.meta.get("author", ""),
        feed_url=str(path),
    )
    return article, dated


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")  # the usual encoding of old saved files that are not UTF-8


def _read_text(raw: bytes) -> _Saved:
    title, text = _title_and_text(normalize_space(_decode(raw)), {})
    return _Saved(title, text, "", {})


def _read_markdown(raw: bytes) -> _Saved:
    meta, content = front_matter(_decode(raw))
    html = markdown.markdown(content)
    title, text = _title_and_text(html_to_text(html), meta)
    return _Saved(title, text, html, meta)


def _read_html(raw: bytes) -> _Saved:
    page = _decode(raw)
    meta: dict[str, str] = {}
    match = _TITLE.search(page)
    if match:
        meta["title"] = html_to_text(match.group(1)).replace("\n", " ")
    # The whole page is no summary: templates show the extracted text instead.
    title, text = _title_and_text(main_text(page), meta)
    return _Saved(title, text, "", meta)


def _read_eml(raw: bytes) -> _Saved:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    meta: dict[str, str] = {"author": str(message["from"] or "")}
    if message["date"]:
        with contextlib.suppress(TypeError, ValueError):
            meta["date"] = parsedate_to_datetime(str(message["date"])).isoformat()
    body = message.get_body(preferencelist=("plain", "html"))
    content = body.get_content() if body is not None else ""
    is_html = body is not None and body.get_content_type() == "text/html"
    text = main_text(content) if is_html else normalize_space(str(content))
    return _Saved(normalize_space(str(message["subject"] or "")), text, "", meta)


_READERS: dict[str, Callable[[bytes], _Saved]] = {
    ".txt": _read_text,
    ".md": _read_markdown,
    ".html": _read_html,
    ".htm": _read_html,
    ".eml": _read_eml,
}


def _title_and_text(content: str, meta: dict[str, str]) -> tuple[str, str]:
    if meta.get("title"):
        title, body = guess_title(content)
        return meta["title"], body if title == meta["title"] else normalize_space(content)
    return guess_title(content)


def front_matter(content: str) -> tuple[dict[str, str], str]:
    """Split ``---``-fenced YAML-style ``key: value`` or ``+++``-fenced TOML front matter from the body."""
    for fence in ("---", "+++"):
        if content.startswith(fence + "\n") or content.startswith(fence + "\r\n"):
            head, sep, rest = content[len(fence) :].lstrip("\r\n").partition("\n" + fence)
            if sep:
                parse = _toml if fence == "+++" else _yaml_lines
                return parse(head), rest.partition("\n")[2]
    return {}, content


def _toml(head: str) -> dict[str, str]:
    try:
        data = tomllib.loads(head)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"bad TOML front matter: {exc}") from exc
    return {str(k).lower(): _scalar(v) for k, v in data.items() if _scalar(v)}


def _yaml_lines(head: str) -> dict[str, str]:
    """The flat ``key: value`` subset of YAML that front matter uses; nested values are skipped."""
    meta = {}
    for line in head.splitlines():
        key, colon, value = line.partition(":")
        if colon and key.strip() and not key.startswith((" ", "\t", "-", "#")):
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return meta


def _scalar(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if isinstance(value, str | int | float) or hasattr(value, "isoformat") else ""


def _date(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        with contextlib.suppress(TypeError, ValueError, IndexError):
            parsed = parsedate_to_datetime(value)
            return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
