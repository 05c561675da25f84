"""Stage 1: read every configured source into :class:`~digest.models.Article` values.

Feeds (RSS, Atom via feedparser; JSON Feed via a small reader, since feedparser does not read it),
OPML subscription lists, and folders of saved articles. A source that fails becomes a
:class:`~digest.models.Problem` and the others go on: one bad feed never sinks the run.
"""

from __future__ import annotations

import calendar
import contextlib
import json
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import feedparser
import httpx
import markdown

from .config import Config, FetchConfig, SourceConfig
from .errors import FetchError, ParseError, SourceError
from .models import Article, Problem
from .textutil import canonical_url, content_hash, guess_title, html_to_text, normalize_space

__all__ = ["Gathered", "gather", "parse_feed", "read_folder", "read_opml"]

log = logging.getLogger(__name__)

FOLDER_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".eml")


@dataclass(frozen=True, slots=True)
class Gathered:
    """What the source stage returns: the articles, the ones with no date, and what failed."""

    articles: tuple[Article, ...]
    undated: frozenset[str]
    problems: tuple[Problem, ...]


def gather(config: Config, *, client: httpx.Client, now: datetime) -> Gathered:
    """Read every source in ``config``; failures are reported, never raised."""
    articles: list[Article] = []
    undated: set[str] = set()
    problems: list[Problem] = []
    for source in _expand(config, client, problems):
        try:
            found = _read_source(source, config, client, now)
        except SourceError as exc:
            log.warning("%s", exc)
            problems.append(Problem(exc.source, exc.message, exc.hint))
            continue
        for article, dated in found:
            articles.append(article)
            if not dated:
                undated.add(article.id)
    return Gathered(tuple(articles), frozenset(undated), tuple(problems))


def _expand(config: Config, client: httpx.Client, problems: list[Problem]) -> Iterator[SourceConfig]:
    """The configured sources with every OPML list replaced by the feeds it lists."""
    seen: set[str] = set()
    for source in config.sources:
        if source.kind != "opml":
            listed: Iterable[SourceConfig] = (source,)
        else:
            try:
                listed = read_opml(_load(source.opml, config, client), location=_where(source, config))
            except SourceError as exc:
                problems.append(Problem(exc.source, exc.message, exc.hint))
                continue
        for item in listed:
            if item.location not in seen:  # the same feed listed twice is read once
                seen.add(item.location)
                yield item


def _where(source: SourceConfig, config: Config) -> str:
    location = source.location
    return location if "://" in location else str(config.resolve(location))


def _read_source(
    source: SourceConfig, config: Config, client: httpx.Client, now: datetime
) -> list[tuple[Article, bool]]:
    if source.kind == "folder":
        return read_folder(config.resolve(source.folder), name=source.name, now=now)
    where = _where(source, config)
    data = _load(source.location, config, client)
    return parse_feed(data, location=where, name=source.name, category=source.category, now=now)


def _load(location: str, config: Config, client: httpx.Client) -> bytes:
    if "://" in location:
        return fetch(location, client=client, settings=config.fetch)
    path = config.resolve(location)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}", source=str(path), hint="check the path") from exc


def fetch(url: str, *, client: httpx.Client, settings: FetchConfig) -> bytes:
    """GET ``url`` and return its body, mapping every failure to :class:`FetchError`."""
    headers = {
        "User-Agent": settings.user_agent,
        "Accept": "application/rss+xml, application/atom+xml, "
        "application/feed+json, application/json, application/xml;q=0.9, */*;q=0.8",
    }
    try:
        with client.stream("GET", url, headers=headers, timeout=settings.timeout, follow_redirects=True) as resp:
            if resp.status_code >= 400:
                raise FetchError(
                    f"HTTP {resp.status_code}", source=url, status=resp.status_code, hint=_status_hint(resp.status_code)
                )
            body = bytearray()
            for chunk in resp.iter_bytes():
                body += chunk
                if len(body) > settings.max_bytes:
                    raise FetchError(
                        f"response larger than {settings.max_bytes} bytes",
                        source=url,
                        hint="raise fetch.max_bytes if this feed is really that large",
                    )
            return bytes(body)
    except httpx.TimeoutException as exc:
        raise FetchError("timed out", source=url, hint="the server is slow; raise fetch.timeout") from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot fetch: {exc}", source=url, hint="check the URL and the network") from exc


def _status_hint(status: int) -> str:
    if status in (404, 410):
        return "the feed is gone: check its URL or remove it from the config"
    if status in (401, 403):
        return "the server refuses access: the feed may need a login"
    if status >= 500:
        return "the server failed: it is retried next run"
    return "check the URL"


def parse_feed(
    data: bytes, *, location: str, name: str = "", category: str = "", now: datetime
) -> list[tuple[Article, bool]]:
    """Articles of a feed document, each with whether the feed gave it a date."""
    if data.lstrip()[:1] in (b"{", b"["):
        return _parse_json_feed(data, location=location, name=name, category=category, now=now)
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception") or "no RSS, Atom or JSON Feed found"
        raise ParseError(f"not a feed: {reason}", source=location, hint="check that the URL points at the feed itself")
    feed_title = name or normalize_space(parsed.feed.get("title", "")) or location
    base = parsed.feed.get("link") or (location if "://" in location else "")
    results = []
    for entry in parsed.entries:
        results.append(
            _entry_article(
                entry,
                source=feed_title,
                location=location,
                base=base,
                category=category,
                language=parsed.feed.get("language", ""),
                now=now,
            )
        )
    return results


def _entry_article(
    entry: Any, *, source: str, location: str, base: str, category: str, language: str, now: datetime
) -> tuple[Article, bool]:
    link = entry.get("link", "")
    url = urljoin(base, link) if base and link else link
    title = html_to_text(entry.get("title", "")).replace("\n", " ")
    content = entry.get("content") or []
    body = max((c.get("value", "") for c in content), key=len, default="")
    summary_html = body or entry.get("summary", "")
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    published = datetime.fromtimestamp(calendar.timegm(stamp), UTC) if stamp else None
    tags = [t.get("term", "") for t in entry.get("tags", []) if t.get("term")]
    article = Article(
        id=_stable_id(entry.get("id", ""), url, title, summary_html),
        title=title or "(untitled)",
        url=canonical_url(url) if url else "",
        source=source,
        published=published if published and published <= now else now,
        text=html_to_text(summary_html),
        summary_html=summary_html,
        author=normalize_space(entry.get("author", "")),
        categories=tuple(dict.fromkeys([*([category] if category else []), *tags])),
        language=language,
        feed_url=location,
    )
    return article, published is not None and published <= now


def _stable_id(guid: str, url: str, title: str, body: str) -> str:
    """Feed GUID, else canonical URL, else a hash of the content: the rss2email fallback chain."""
    guid = guid.strip()
    if guid:
        return guid
    if url:
        return canonical_url(url)
    return "sha256:" + content_hash(title, body)


def _parse_json_feed(
    data: bytes, *, location: str, name: str, category: str, now: datetime
) -> list[tuple[Article, bool]]:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"invalid JSON: {exc}", source=location, hint="the JSON Feed is malformed") from exc
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith("https://jsonfeed.org/version/"):
        raise ParseError(
            "JSON but not a JSON Feed (no jsonfeed.org version)",
            source=location,
            hint="check that the URL points at the feed itself",
        )
    source = name or str(doc.get("title") or location)
    results = []
    for item in doc.get("items") or []:
        if isinstance(item, dict):
            results.append(_json_item(item, source, location, category, str(doc.get("language") or ""), now))
    return results


def _json_item(
    item: dict[str, Any], source: str, location: str, category: str, language: str, now: datetime
) -> tuple[Article, bool]:
    url = str(item.get("url") or item.get("external_url") or "")
    summary_html = str(item.get("content_html") or "")
    text = html_to_text(summary_html) if summary_html else normalize_space(str(item.get("content_text") or ""))
    if not text:
        text = normalize_space(str(item.get("summary") or ""))
    title = normalize_space(str(item.get("title") or ""))
    published = _iso_date(item.get("date_published") or item.get("date_modified"))
    authors = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
    author = ", ".join(str(a.get("name", "")) for a in authors if isinstance(a, dict) and a.get("name"))
    tags = [str(t) for t in item.get("tags") or [] if isinstance(t, str)]
    article = Article(
        id=_stable_id(str(item.get("id") or ""), url, title, summary_html or text),
        title=title or text[:80] or "(untitled)",
        url=canonical_url(url) if url else "",
        source=source,
        published=published if published and published <= now else now,
        text=text,
        summary_html=summary_html,
        author=author,
        categories=tuple(dict.fromkeys([*([category] if category else []), *tags])),
        language=str(item.get("language") or language),
        feed_url=location,
    )
    return article, published is not None and published <= now


def _iso_date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read_opml(data: bytes, *, location: str) -> list[SourceConfig]:
    """Feeds listed in an OPML document; a nested outline's text becomes the feed's category."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ParseError(f"not valid OPML: {exc}", source=location, hint="export the list again") from exc
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise ParseError("not an OPML document (no <opml><body>)", source=location, hint="export the list again")
    found: list[SourceConfig] = []
    _walk_outlines(body, "", location, found)
    return found


def _walk_outlines(node: ET.Element, category: str, location: str, found: list[SourceConfig]) -> None:
    for outline in node.findall("outline"):
        xml_url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        label = (outline.get("title") or outline.get("text") or "").strip()
        if xml_url:
            target = urljoin(location, xml_url) if "://" in location else _local(location, xml_url)
            kind = "url" if "://" in target else "path"
            found.append(SourceConfig(name=label, category=category, **{kind: target}))
        _walk_outlines(outline, label if not xml_url else category, location, found)


def _local(opml_path: str, target: str) -> str:
    return target if "://" in target else str((Path(opml_path).parent / target).resolve())


def read_folder(folder: Path, *, name: str = "", now: datetime) -> list[tuple[Article, bool]]:
    """Saved articles in ``folder`` (.txt, .md, .html, .eml), in name order."""
    if not folder.is_dir():
        raise SourceError("not a folder", source=str(folder), hint="point folder = … at a directory")
    source = name or folder.name
    results = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in FOLDER_SUFFIXES and p.is_file()):
        try:
            results.append(_read_saved(path, source, now))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise SourceError(
                f"cannot read saved article: {exc}", source=str(path), hint="save it as UTF-8 text, Markdown or HTML"
            ) from exc
    return results


def _read_saved(path: Path, source: str, now: datetime) -> tuple[Article, bool]:
    raw = path.read_bytes()
    suffix = path.suffix.lower()
    meta: dict[str, str] = {}
    if suffix == ".eml":
        title, text, meta = _read_eml(raw)
        summary_html = ""
    else:
        content = raw.decode("utf-8-sig")
        if suffix in (".md", ".markdown"):
            meta, content = _front_matter(content)
            summary_html = markdown.markdown(content)
        elif suffix in (".html", ".htm"):
            summary_html = content
            match = re.search(r"<title[^>]*>(.*?)</title>", content, re.I | re.S)
            if match:
                meta.setdefault("title", html_to_text(match.group(1)))
        else:
            summary_html = ""
        title, text = _title_and_text(content if not summary_html else html_to_text(summary_html), meta)
    published = _iso_date(meta.get("date", ""))
    url = meta.get("url", "")
    article = Article(
        id=canonical_url(url) if url else "sha256:" + content_hash(title, text),
        title=title,
        url=canonical_url(url) if url else "",
        source=meta.get("source", source),
        published=published if published and published <= now else now,
        text=text,
        summary_html=summary_html if suffix != ".html" else "",
        author=meta.get("author", ""),
        feed_url=str(path),
    )
    return article, published is not None and published <= now


def _title_and_text(content: str, meta: dict[str, str]) -> tuple[str, str]:
    if "title" in meta:
        title, body = guess_title(content)
        return meta["title"], body if title == meta["title"] else normalize_space(content)
    return guess_title(content)


def _front_matter(content: str) -> tuple[dict[str, str], str]:
    """Split ``---``-fenced ``key: value`` (YAML-style) or ``+++``-fenced TOML front matter."""
    for fence in ("---", "+++"):
        if content.startswith(fence + "\n"):
            head, sep, rest = content[len(fence) + 1 :].partition("\n" + fence)
            if sep:
                meta = {}
                for line in head.splitlines():
                    key, colon, value = line.partition(":" if fence == "---" else "=")
                    if colon:
                        meta[key.strip().lower()] = value.strip().strip("\"'")
                return meta, rest.partition("\n")[2]
    return {}, content


def _read_eml(raw: bytes) -> tuple[str, str, dict[str, str]]:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    meta: dict[str, str] = {}
    if message["date"]:
        with contextlib.suppress(TypeError, ValueError):
            meta["date"] = parsedate_to_datetime(str(message["date"])).isoformat()
    body = message.get_body(preferencelist=("plain", "html"))
    content = body.get_content() if body is not None else ""
    text = html_to_text(content) if body is not None and body.get_content_type() == "text/html" else content
    meta["author"] = str(message["from"] or "")
    return str(message["subject"] or "(untitled)"), normalize_space(text), meta


def with_published(article: Article, published: datetime) -> Article:
    return replace(article, published=published)
