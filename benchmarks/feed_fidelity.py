"""How faithfully ingest reads feeds: our articles against what other projects' test suites expect.

Usage: ``python benchmarks/feed_fidelity.py DIR [--show N]`` where DIR holds any of

- ``gofeed-testdata/testdata/``: ``X.xml`` beside the expected ``X.json`` (gofeed's parser and
  translator structs; JSON Feed as ``X.json`` beside ``X_expected.json``);
- ``rss-parser-realfeeds/test/``: ``input/X.{rss,atom,xml}`` beside ``output/X.json``;
- ``feedparser-tests/tests/``: XML whose opening comment has an ``Expect:`` Python expression, and
  ``feedparser-jsonfeed-tests/tests/``: JSON Feeds with a ``__tests`` list of such expressions.

Four fields are compared for each item an expectation speaks of: ``title`` (as text), ``link``
(the URL readers click; tracking parameters are ours to remove), ``date`` (to the second, UTC; an
undated item matches only an expectation of no date) and ``content`` (the body as text, whitespace
collapsed). Expectations about what digest keeps no copy of (ids, enclosures, feed-level metadata)
are not fields here. ``feedparser-tests``' ``sanitize`` folder is left out: it tests feedparser's
sanitizer policy on markup, and digest keeps the feed's HTML and sanitizes it with nh3 when it
renders (``benchmarks/xss_corpus.py`` measures that).

Prints the match rate per corpus and field, the first mismatches of each, and last
``fields=N matched=M rate=R``.
"""

from __future__ import annotations

import argparse
import ast
import collections
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digest.dates import iso_datetime, parse_date
from digest.errors import ParseError
from digest.models import Article
from digest.sources import parse_feed
from digest.textutil import html_to_text
from digest.urls import is_absolute, strip_tracking

FIELDS = ("title", "link", "date", "content")
NOW = datetime(2099, 1, 1, tzinfo=UTC)  # later than every test file, so no date is "in the future"
_NO_DATE = "(no date)"


@dataclass(frozen=True, slots=True)
class Expected:
    """One expectation: item ``index`` of the file has ``value`` in ``field``."""

    index: int
    field: str
    value: Any


@dataclass(frozen=True, slots=True)
class Case:
    corpus: str
    path: Path
    data: bytes
    location: str
    content_type: str
    expected: tuple[Expected, ...]


# -- gofeed ------------------------------------------------------------------------------------------


def _gofeed(root: Path) -> Iterator[Case]:
    base = root / "gofeed-testdata" / "testdata"
    for expected_path in sorted(base.glob("parser/json/*_expected.json")):
        source = expected_path.with_name(expected_path.name.replace("_expected", ""))
        doc = json.loads(expected_path.read_text(encoding="utf-8"))
        yield _case("gofeed", source, list(_json_feed_items(doc)))
    for folder in ("parser/rss", "parser/atom", "translator/rss", "translator/atom", "translator/json"):
        for expected_path in sorted((base / folder).glob("*.json")):
            source = expected_path.with_suffix(".xml")
            if not source.exists():
                continue
            doc = json.loads(expected_path.read_text(encoding="utf-8"))
            items = doc.get("items") or doc.get("entries") or []
            yield _case("gofeed", source, [e for i, item in enumerate(items) for e in _gofeed_item(i, item)])


def _gofeed_item(index: int, item: dict[str, Any]) -> Iterator[Expected]:
    if isinstance(item.get("title"), str):
        yield Expected(index, "title", item["title"])
    link = item.get("link")
    if not isinstance(link, str):
        alternates = [
            lk.get("href")
            for lk in item.get("links") or []
            if isinstance(lk, dict) and lk.get("rel", "alternate") == "alternate"
        ]
        link = alternates[0] if alternates else None
    if isinstance(link, str):
        yield Expected(index, "link", link)
    for key in ("publishedParsed", "updatedParsed", "published", "pubDate", "updated"):
        if isinstance(item.get(key), str):
            yield Expected(index, "date", parse_date(item[key]) or _NO_DATE)
            break
    content = item.get("content")
    if isinstance(content, dict):
        content = content.get("value")
    if not isinstance(content, str):
        summary = item.get("description", item.get("summary"))
        content = summary.get("value") if isinstance(summary, dict) else summary
    if isinstance(content, str):
        yield Expected(index, "content", content)


def _json_feed_items(doc: dict[str, Any]) -> Iterator[Expected]:
    for index, item in enumerate(doc.get("items") or []):
        if isinstance(item.get("title"), str):
            yield Expected(index, "title", item["title"])
        link = item.get("url") or item.get("external_url")
        if isinstance(link, str):
            yield Expected(index, "link", link)
        written = item.get("date_published") or item.get("date_modified")
        if isinstance(written, str):
            yield Expected(index, "date", iso_datetime(written) or _NO_DATE)
        content = item.get("content_html") or item.get("content_text")
        if isinstance(content, str):
            yield Expected(index, "content", content)


# -- rss-parser --------------------------------------------------------------------------------------


def _rss_parser(root: Path) -> Iterator[Case]:
    base = root / "rss-parser-realfeeds" / "test"
    for expected_path in sorted((base / "output").glob("*.json")):
        sources = [p for p in (base / "input").glob(expected_path.stem + ".*") if p.suffix != ".json"]
        if not sources:
            continue
        raw = expected_path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:  # a few expected files were written in the feed's Latin-1
            text = raw.decode("latin-1")
        items = (json.loads(text).get("feed") or {}).get("items") or []
        found: list[Expected] = []
        for index, item in enumerate(items):
            if expected_path.stem == "xml2js-options":
                # That test sets xml2js's emptyTag option, so its empty descriptions read "EMPTY".
                item = {k: v for k, v in item.items() if v != "EMPTY"}
            if isinstance(item.get("title"), str):
                found.append(Expected(index, "title", item["title"]))
            if isinstance(item.get("link"), str):
                found.append(Expected(index, "link", item["link"]))
            if isinstance(item.get("isoDate"), str):
                found.append(Expected(index, "date", iso_datetime(item["isoDate"]) or _NO_DATE))
            # rss-parser's "content" is the description; the full text, when given, is "content:encoded".
            content = item.get("content:encoded", item.get("content"))
            if isinstance(content, str):
                found.append(Expected(index, "content", content))
        yield _case("rss-parser", sources[0], found)


# -- feedparser ---------------------------------------------------------------------------------------

_COMMENT = re.compile(r"Description:\s*(.*?)\s*Expect:\s*(.*?)\s*-->", re.S)
_HEADER = re.compile(r"^Header:\s*([^:]+):\s*(.*?)\s*$", re.M)


def _feedparser(root: Path) -> Iterator[Case]:
    base = root / "feedparser-tests" / "tests"
    for path in sorted(base.rglob("*.xml")):
        data = path.read_bytes()
        head = _decode_head(data)
        match = _COMMENT.search(head)
        if not match or "SkipUnless:" in head:
            continue
        headers = {k.strip().lower(): v for k, v in _HEADER.findall(head)}
        has_content = bool(re.search(rb"<(\w+:)?(content|body)\b|content:encoded", data))
        expected = _expectations(match.group(2), has_content=has_content)
        if "sanitize" in path.parts:
            continue
        yield Case(
            "feedparser",
            path,
            data,
            headers.get("content-location", "http://127.0.0.1:8097/" + path.relative_to(base).as_posix()),
            headers.get("content-type", ""),
            tuple(expected),
        )
    for path in sorted((root / "feedparser-jsonfeed-tests" / "tests").rglob("*.json")):
        data = path.read_bytes()
        try:
            tests = json.loads(data).get("__tests") or []
        except (ValueError, AttributeError):
            continue
        found = [e for test in tests if isinstance(test, str) for e in _expectations(test, has_content=False)]
        yield Case("feedparser-json", path, data, "https://domain.example/feed.json", "", tuple(found))


def _decode_head(data: bytes) -> str:
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, "replace")
    if data.startswith(b"\xfe\xff"):
        return data.decode("utf-16", "replace")
    try:
        return data[:8192].decode("utf-8")
    except UnicodeDecodeError:
        return data[:8192].decode("latin-1")


def _expectations(expression: str, *, has_content: bool) -> list[Expected]:
    """The ``entries[i][…] == literal`` parts of an expression that must all hold."""
    try:
        tree = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        return []
    parts = tree.values if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And) else [tree]
    found: list[Expected] = []
    # feedparser files an RSS <summary> under content: a summary is then not what readers get.
    has_content = has_content or "['content'][0]" in expression
    for part in parts:
        if not (isinstance(part, ast.Compare) and len(part.ops) == 1 and isinstance(part.ops[0], ast.Eq)):
            continue
        path = _subscripts(part.left)
        try:
            value = ast.literal_eval(part.comparators[0])
        except (ValueError, SyntaxError, TypeError):
            continue
        expected = _field(path, value, has_content=has_content)
        if expected is not None:
            found.append(expected)
    return found


def _subscripts(node: ast.expr) -> list[Any]:
    keys: list[Any] = []
    while isinstance(node, ast.Subscript):
        if not isinstance(node.slice, ast.Constant):
            return []
        keys.append(node.slice.value)
        node = node.value
    if not isinstance(node, ast.Name):
        return []
    return [node.id, *reversed(keys)]


def _field(path: list[Any], value: Any, *, has_content: bool) -> Expected | None:
    if len(path) < 3 or path[0] != "entries" or not isinstance(path[1], int):
        return None
    index, key, rest = path[1], path[2], path[3:]
    if (key in ("title", "link") and not rest) or (key == "title_detail" and rest == ["value"]):
        return Expected(index, key.removesuffix("_detail"), value) if isinstance(value, str) else None
    if key in ("published_parsed", "updated_parsed") and not rest:
        stamp = datetime(*value[:6], tzinfo=UTC) if isinstance(value, tuple) and len(value) >= 6 else _NO_DATE
        return Expected(index, "date", stamp)
    if key == "content" and rest == [0, "value"] and isinstance(value, str):
        return Expected(index, "content", value)
    summary = (key in ("summary", "description") and not rest) or (key == "summary_detail" and rest == ["value"])
    if summary and not has_content and isinstance(value, str):
        return Expected(index, "content", value)
    return None


# -- comparing ----------------------------------------------------------------------------------------


def _case(corpus: str, path: Path, expected: list[Expected]) -> Case:
    return Case(corpus, path, path.read_bytes(), "http://example.org/" + path.name, "", tuple(expected))


def _text(value: str) -> str:
    return " ".join(value.split())


def ours(article: Article, dated: bool, field: str) -> Any:
    if field == "title":
        return article.title
    if field == "link":
        return article.url
    if field == "date":
        return article.published if dated else _NO_DATE
    return article.text or html_to_text(article.summary_html)


def matches(field: str, got: Any, want: Any) -> bool:
    if field == "date":
        # To the second: feedparser's time tuples, which digest reads dates through, carry no fraction.
        return bool(got == want) or (got != _NO_DATE != want and got == want.replace(microsecond=0))
    if field == "link":
        want = strip_tracking(want.strip())
        # A relative link is right when it resolves to ours (rss-parser leaves links unresolved).
        return bool(got == want) or (not is_absolute(want) and is_absolute(got) and urljoin(got, want) == got)
    if field == "title" and got == "(untitled)" and not _text(want):
        return True
    wanted = (_text(want), _text(html_to_text(want)))
    if "\ufffd" in want:
        # The expectation was decoded with the wrong charset: each lost character is one U+FFFD.
        # Ours matches if it agrees everywhere else and has a non-ASCII character (or a no-break
        # space, which collapses with the spaces around it) at each of them.
        patterns = (re.escape(w).replace("\ufffd", "(?:[^\\x00-\\x7f]| ?)") for w in wanted)
        return any(re.fullmatch(p, _text(got)) for p in patterns)
    return _text(got) in wanted


def run(cases: list[Case], show: int) -> tuple[int, int]:
    totals: dict[tuple[str, str], list[int]] = collections.defaultdict(lambda: [0, 0])
    misses: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
    for case in cases:
        if not case.expected:
            continue
        try:
            found = parse_feed(case.data, location=case.location, now=NOW, content_type=case.content_type, problems=[])
        except ParseError as exc:
            found, reason = [], exc.message
        else:
            reason = "no such item"
        for expected in case.expected:
            key = (case.corpus, expected.field)
            totals[key][0] += 1
            if expected.index < len(found):
                got = ours(*found[expected.index], expected.field)
                if matches(expected.field, got, expected.value):
                    totals[key][1] += 1
                    continue
                detail = f"got {str(got)[:70]!r}, want {str(expected.value)[:70]!r}"
            else:
                detail = reason
            misses[key].append(f"{case.path.name}[{expected.index}]: {detail}")
    fields = matched = 0
    for (corpus, field), (total, good) in sorted(totals.items()):
        fields, matched = fields + total, matched + good
        print(f"{corpus:16} {field:8} {good:5}/{total:<5} rate={good / total:.3f}")
        for line in misses[(corpus, field)][:show]:
            print(f"    {line}")
    return fields, matched


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path, help="the folder holding the feed corpora (e.g. ../shared/bench/feeds)")
    parser.add_argument("--show", type=int, default=3, help="mismatches to print for each corpus and field")
    args = parser.parse_args(argv)
    cases = [*_gofeed(args.dir), *_rss_parser(args.dir), *_feedparser(args.dir)]
    if not any(case.expected for case in cases):
        print(f"no expectations found under {args.dir}", file=sys.stderr)
        return 1
    fields, matched = run(cases, args.show)
    print(f"fields={fields} matched={matched} rate={matched / fields:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
