# ruff: noqa: F811  (the server fixture is imported from test_fetch and taken as an argument)
"""Hostile input that reaches the parsers: each attack beside an innocent source whose story must still arrive.

Feeds are served by a real loopback server, saved articles are real files, and every class of attack
is here as itself: a lone surrogate, a NUL, nesting thousands deep, OPML includes that fan out, a
feed that calls itself by a pinned source's name, ANSI escapes in a title.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest import Pipeline, Services
from digest.clean import MAX_TITLE, clean_name, clean_text
from digest.cli import main
from digest.config import Config, SourceConfig
from digest.escape import TerminalFormatter, terminal_text
from digest.extract import extract, sanitize_html
from digest.htmldepth import MAX_HTML_DEPTH, bound_depth
from digest.models import Article
from digest.render import environment, inline_css
from digest.site import build_site
from digest.sources import gather, parse_feed, read_folder, read_opml
from digest.store import IssueRecord
from digest.textutil import html_to_text

from .conftest import LoopbackConfig, PostgresServer
from .test_fetch import FAST, NOW, Reply, Server, config, server  # noqa: F401  (the fixture)

PUBLISHED = "2026-11-21T10:00:00Z"
_TAG = re.compile(r"<(/?)([a-z][a-z0-9]*)[^>]*>")
_VOID = {"br", "img", "hr"}


def json_feed(*items: str, title: str = "JSON") -> bytes:
    head = f'{{"version": "https://jsonfeed.org/version/1.1", "title": "{title}", "items": ['
    return (head + ",".join(items) + "]}").encode()


def json_item(ident: str, title: str, content: str = "<p>Body.</p>", url: str = "") -> str:
    link = url or f"https://news.example/{ident}"
    return (
        f'{{"id": "{ident}", "url": "{link}", "title": "{title}", "content_html": "{content}", '
        f'"date_published": "{PUBLISHED}"}}'
    )


def rss(title: str, guid: str = "g1", channel: str = "Bench", description: str = "A line of text.") -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{channel}</title><link>https://news.example/</link>'
        f"<item><guid>{guid}</guid><title>{title}</title><link>https://news.example/{guid}</link>"
        f"<pubDate>Sat, 21 Nov 2026 10:00:00 GMT</pubDate><description>{description}</description></item>"
        "</channel></rss>"
    ).encode()


def depth(markup: str) -> int:
    """How deep normalized markup nests."""
    level = deepest = 0
    for match in _TAG.finditer(markup):
        if match.group(2) in _VOID:
            continue
        level += -1 if match.group(1) else 1
        deepest = max(deepest, level)
    return deepest


def every_string(article: Article) -> list[str]:
    return [
        article.id, article.title, article.url, article.source, article.text, article.summary_html,
        article.author, article.feed_url, *article.categories, *article.aliases,
    ]  # fmt: skip


def is_clean(text: str) -> bool:
    return not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]", text)


# --- text at the boundary ---------------------------------------------------------------------------------


def test_clean_text_replaces_lone_surrogates_and_drops_controls_but_tab_and_newlines() -> None:
    assert clean_text("Lone \ud800 x\x00\x1b[2J\t\n\r") == "Lone \ufffd x[2J\t\n\r"
    assert clean_text("plain") == "plain"


def test_names_lose_bidi_and_invisible_controls_and_are_capped() -> None:
    assert clean_name("Safe\u202etxt.exe\u2066 \u200bname") == "Safetxt.exe name"
    assert clean_name("Zero\u200dwidth joiner stays") == "Zero\u200dwidth joiner stays"
    long = clean_name("word " * 200)
    assert len(long) == MAX_TITLE and long.endswith("…")


def test_a_lone_surrogate_in_a_json_feed_reaches_no_encoder(server: Server) -> None:
    hostile = json_item("Lone \\ud800 id", "Lone \\ud800 x", "<p>Lone \\udfff body</p>", "https://e.example/\\ud800")
    url = server.serve("/lone.json", Reply(body=json_feed(hostile, title="Feed \\ud800")))
    innocent = server.serve("/ok.xml", Reply(body=rss("Innocent story")))
    gathered = gather(config(url, innocent), now=NOW)
    titles = sorted(a.title for a in gathered.articles)
    assert titles == ["Innocent story", "Lone \ufffd x"]
    for article in extract(gathered.articles):
        assert all(is_clean(text) for text in every_string(article))
        "".join(every_string(article)).encode("utf-8")  # what SQLite, the tokenizer and nh3 need
    assert gathered.problems == ()


def test_a_nul_in_a_guid_source_name_or_url_never_leaves_the_source_stage(server: Server) -> None:
    body = rss("Nul story", guid="a&#0;b", channel="Chan&#0;nel")
    url = server.serve(
        "/nul.xml", Reply(body=body.replace(b"https://news.example/a&#0;b", b"https://n.example/x&#1;y"))
    )
    innocent = server.serve("/ok.xml", Reply(body=rss("Innocent story", guid="ok")))
    gathered = gather(config(url, innocent), now=NOW)
    assert {a.title for a in gathered.articles} == {"Nul story", "Innocent story"}
    for article in gathered.articles:
        assert all("\x00" not in text and "\x01" not in text for text in every_string(article))


def test_one_item_that_fails_is_one_problem_and_the_feed_keeps_its_others() -> None:
    # A fault no real feed reaches any more (every field is cleaned first): one item's reading raising.
    from digest.sources import feeds

    real = feeds._json_item

    def fragile(item: dict[str, object], feed: object, *, feed_author: str) -> tuple[Article, bool]:
        if item.get("id") == "bad":
            raise TypeError("boom")
        return real(item, feed, feed_author=feed_author)  # type: ignore[arg-type]

    problems: list = []
    data = json_feed(json_item("bad", "Bad"), json_item("good", "Good"))
    feeds._json_item = fragile  # type: ignore[assignment]
    try:
        found = parse_feed(data, location="https://e.example/f.json", now=NOW, problems=problems)
    finally:
        feeds._json_item = real
    assert [a.title for a, _ in found] == ["Good"]
    [problem] = problems
    assert "item 1: TypeError: boom" in problem.message


# --- depth -----------------------------------------------------------------------------------------------


def test_json_nested_past_the_parser_is_one_parse_problem(server: Server) -> None:
    deep = b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    url = server.serve("/deep.json", Reply(body=deep))
    innocent = server.serve("/ok.xml", Reply(body=rss("Innocent story")))
    gathered = gather(config(url, innocent), now=NOW)
    assert [a.title for a in gathered.articles] == ["Innocent story"]
    [problem] = gathered.problems
    assert problem.source == url and "invalid JSON" in problem.message


def test_saved_files_nested_deep_each_cost_only_themselves(tmp_path: Path) -> None:
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "fine.txt").write_text("Innocent saved story\n\nA saved article that must still be read.")
    (folder / "toml.md").write_text("+++\ntitle = " + "[" * 50_000 + "]" * 50_000 + "\n+++\nBody\n")
    (folder / "yaml.md").write_text("---\ntitle: " + "[" * 50_000 + "]" * 50_000 + "\n---\nBody\n")
    (folder / "from.eml").write_text("From: " + "(" * 50_000 + "\nSubject: Comments\n\nBody text.\n")
    parts = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(3000))
    (folder / "parts.eml").write_text("Subject: Parts\n" + parts + "Content-Type: text/plain\n\nhello\n")
    (folder / "utf7.eml").write_text("Subject: Seven\nContent-Type: text/plain; charset=utf-7\n\nA +2AA- body\n")
    problems: list = []
    found = read_folder(folder, now=NOW, problems=problems)
    titles = {a.title for a, _ in found}
    assert "Innocent saved story" in titles and "Seven" in titles and "Comments" in titles
    assert all(is_clean(s) for a, _ in found for s in every_string(a))
    failed = {Path(p.source).name: p.message for p in problems}
    assert "nested more than 100" in failed["toml.md"]
    assert "more than 100 multipart" in failed["parts.eml"]
    assert "nested too deeply" in failed["yaml.md"] or "yaml.md" not in failed


def test_an_opml_list_nested_1100_deep_is_read_without_recursion() -> None:
    inner = '<outline text="Deep" xmlUrl="https://deep.example/feed"/>'
    body = '<outline text="f">' * 1100 + inner + "</outline>" * 1100
    data = f'<opml version="2.0"><body><outline text="Top" xmlUrl="https://top.example/feed"/>{body}</body></opml>'
    opml = read_opml(data.encode(), location="https://lists.example/deep.opml")
    assert [f.url for f in opml.feeds] == ["https://top.example/feed"]
    assert any("nested more than" in note for note in opml.cut)


@pytest.mark.parametrize(
    "markup",
    [
        "<b>" * 16_000 + "x",
        "<div>" * 200_000 + "x",
        '<div><a title="</div>">' * 50_000 + "x",
        "<div><table></div></table>" * 50_000 + "x",
        "<div><!--</div>-->" * 50_000 + "x",
        "<div><script></div></script>" * 50_000 + "x",
    ],
    ids=["b", "div", "quoted-end-tag", "table-scope", "comment", "script"],
)
def test_html_nested_past_the_limit_is_cut_before_any_parser(markup: str) -> None:
    clean = sanitize_html(markup)
    assert depth(clean) <= MAX_HTML_DEPTH
    assert html_to_text(markup).endswith("x")
    assert markup.count("<") - bound_depth(markup).count("<") > 0


def test_a_real_article_passes_through_uncut() -> None:
    article = (
        "<article><h2>T</h2>" + "<p>Line <b>bold</b> <a href='https://e.example/'>link</a></p>" * 400 + "</article>"
    )
    assert bound_depth(article) == article


def test_the_email_inliner_gets_bounded_html() -> None:
    body = sanitize_html("<b>" * 16_000 + "deep text")
    page = f"<html><head><style>b {{ color: red }}</style></head><body>{body}</body></html>"
    assert "deep text" in inline_css(page)  # unbounded, css_inline overflows its stack: the process dies


# --- OPML includes ---------------------------------------------------------------------------------------


def _opml(*outlines: str) -> bytes:
    return f'<opml version="2.0"><body>{"".join(outlines)}</body></opml>'.encode()


def test_opml_includes_are_read_once_each(server: Server) -> None:
    # Five levels, each list including three of the next: without a "read already" set, 121 fetches.
    levels = [[0], [1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]]
    feed = server.serve("/feed.xml", Reply(body=rss("Innocent story")))
    for level, lists in enumerate(levels):
        below = levels[level + 1] if level + 1 < len(levels) else []
        for n in lists:
            includes = [f'<outline type="include" url="{server.url(f"/l{m}.opml")}"/>' for m in below[:3]]
            server.serve(f"/l{n}.opml", *[Reply(body=_opml(f'<outline text="F" xmlUrl="{feed}"/>', *includes))] * 20)
    cfg = Config(sources=(SourceConfig(opml=server.url("/l0.opml")),), fetch=FAST)
    gathered = gather(cfg, now=NOW)
    fetched = [path for path, _ in server.seen if path.endswith(".opml")]
    assert len(fetched) == len(set(fetched)) <= 16
    assert [a.title for a in gathered.articles] == ["Innocent story"]


def test_opml_lists_past_the_total_cap_are_one_problem(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules["digest.sources.expand"], "MAX_OPML_LISTS", 3)
    feed = server.serve("/feed.xml", Reply(body=rss("Innocent story")))
    for n in range(6):
        server.serve(
            f"/c{n}.opml", Reply(body=_opml(f'<outline type="include" url="{server.url(f"/c{n + 1}.opml")}"/>'))
        )
    cfg = Config(sources=(SourceConfig(opml=server.url("/c0.opml")), SourceConfig(url=feed)), fetch=FAST)
    gathered = gather(cfg, now=NOW)
    assert [a.title for a in gathered.articles] == ["Innocent story"]
    [problem] = [p for p in gathered.problems if "OPML lists" in p.message]
    assert problem.source == server.url("/c3.opml") and "more than 3" in problem.message
    assert len([p for p, _ in server.seen if p.startswith("/c")]) == 3


# --- what readers see ------------------------------------------------------------------------------------


def test_a_feed_calling_itself_a_pinned_source_is_not_taken_for_it(server: Server) -> None:
    pinned = server.serve("/pinned.xml", Reply(body=rss("Real pick", guid="p", channel="Other")))
    impostor = server.serve("/impostor.xml", Reply(body=rss("Impostor", guid="i", channel="Editor's picks")))
    cfg = Config(sources=(SourceConfig(url=pinned, name="Editor's picks"), SourceConfig(url=impostor)), fetch=FAST)
    cfg = replace(cfg, rank=replace(cfg.rank, pinned_sources=("Editor's picks",)))
    by_title = {a.title: a for a in gather(cfg, now=NOW).articles}
    assert by_title["Real pick"].is_from("Editor's picks")
    assert not by_title["Impostor"].is_from("Editor's picks")
    assert by_title["Impostor"].source == "Editor's picks (127.0.0.1)"
    assert by_title["Impostor"].is_from(impostor)  # entries may name the feed by its URL


def test_the_site_feeds_stay_well_formed_after_a_hostile_title(tmp_path: Path) -> None:
    hostile = "Title \x1b[2J\x00 \ud800 \ufffe <b>&amp;"
    start, end = datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC)
    issue = IssueRecord("2026-W48", hostile, start, end, f"<h2>{hostile}</h2><p>Body \x08</p>")
    build_site([issue], target=tmp_path / "site", env=environment(), site_title="Weekly", base_url="", now=end)
    atom = ET.parse(tmp_path / "site" / "feed.xml").getroot()
    assert atom.tag.endswith("feed")
    feed = json.loads((tmp_path / "site" / "feed.json").read_text(encoding="utf-8"))
    assert "\x1b" not in feed["items"][0]["title"] and "\ud800" not in json.dumps(feed, ensure_ascii=False)


def test_terminal_text_and_log_lines_escape_control_characters() -> None:
    assert terminal_text("Feed \x1b[2J\u202e title\n") == "Feed \\x1b[2J\\u202e title\n"
    record = logging.LogRecord("digest", logging.WARNING, __file__, 1, "feed %s", ("\x1b[31mred\x9b",), None)
    assert "\x1b" not in TerminalFormatter("%(message)s").format(record)


# --- whole runs ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_run_beside_hostile_feeds_delivers_the_innocent_story(
    server: Server, loopback_config: LoopbackConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    lone = server.serve("/lone.json", Reply(body=json_feed(json_item("a", "Lone \\ud800 x"), title="Feed \\ud800")))
    ansi = server.serve(
        "/ansi.xml", Reply(body=rss("Escapes", guid="e", channel="Bad\x1b[2J", description="&lt;b&gt;" * 16_000))
    )
    deep = server.serve("/deep.xml", Reply(body=rss("Deep", guid="d", description="&lt;div&gt;" * 100_000)))
    innocent = server.serve("/ok.xml", Reply(body=rss("Innocent story", guid="ok")))
    path = loopback_config.write(sources=[{"url": u} for u in (lone, ansi, deep, innocent)])
    code = main(["run", "--dry-run", "--config", str(path), "--now", NOW.isoformat()])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "\x1b" not in err
    report = json.loads((path.parent / "out" / "report.json").read_text())
    assert report["status"] == "dry_run"
    rendered = "".join(p.read_text(encoding="utf-8") for p in (path.parent / "out").rglob("*.html"))
    assert "Innocent story" in rendered and "Lone \ufffd x" in rendered


@pytest.mark.slow
def test_an_unexpected_crash_still_writes_the_report(server: Server, loopback_config: LoopbackConfig) -> None:
    innocent = server.serve("/ok.xml", Reply(body=rss("Innocent story")))
    config = loopback_config(sources=[{"url": innocent}])

    def crash(stage: str) -> None:
        if stage == "render":
            raise RuntimeError("a bug in a stage")

    with pytest.raises(RuntimeError):
        Pipeline(config, Services(on_stage=crash)).run(NOW, dry_run=True)
    report = json.loads((config.resolve(config.digest.output) / "report.json").read_text())
    assert report["status"] == "error: unexpected RuntimeError: a bug in a stage"


@pytest.mark.slow
@pytest.mark.postgres
def test_a_nul_from_a_feed_never_reaches_postgresql(
    server: Server, loopback_config: LoopbackConfig, postgres_server: PostgresServer
) -> None:
    body = rss("Nul story", guid="a&#0;b", channel="Chan&#0;nel", description="Cranes idle at the harbour.")
    nul = server.serve("/nul.xml", *[Reply(body=body)] * 2)
    lone = server.serve("/lone.json", *[Reply(body=json_feed(json_item("x\\u0000y", "Lone \\ud800 x")))] * 2)
    innocent = server.serve("/ok.xml", *[Reply(body=rss("Innocent story", guid="ok"))] * 2)
    state = postgres_server.new_database()
    path = loopback_config.write(digest={"state": state}, sources=[{"url": u} for u in (nul, lone, innocent)])
    assert main(["run", "--config", str(path), "--now", NOW.isoformat()]) == 0
    report = json.loads((path.parent / "out" / "report.json").read_text())
    assert report["status"] == "sent" and report["articles_gathered"] == 3
    # Stored, so the next run knows every article: nothing new rather than a failure on a NUL.
    assert main(["run", "--config", str(path), "--now", NOW.isoformat()]) in (0, 3)
    assert json.loads((path.parent / "out" / "report.json").read_text())["status"] == "nothing_new"


def test_a_full_text_page_in_utf_7_keeps_its_feed(server: Server) -> None:
    page = server.serve(
        "/page.html",
        Reply(
            body=b"<html><body><article><p>" + b"A page of text +2AA- that is long enough. " * 20 + b"</p></article>",
            headers={"Content-Type": "text/html; charset=utf-7"},
        ),
    )
    body = rss("Seven", guid="s").replace(b"https://news.example/s", page.encode())
    url = server.serve("/feed.xml", Reply(body=body))
    gathered = gather(config(url, full_text=True), now=NOW)
    [article] = gathered.articles
    assert "A page of text" in article.text and is_clean(article.text)
