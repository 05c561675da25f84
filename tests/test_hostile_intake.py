# ruff: noqa: F811  (fixtures are imported from test_fetch and test_proxy and taken as arguments)
"""One hostile input against the intake, beside an innocent one that must still be read.

Each class of attack found against real loopback servers is here with the attack itself: IPv6 forms
that carry a private IPv4 address, direct and through a real proxy; entity amplification; inputs
that keep a parser busy; patterns whose matching time grows with the square of the input; pages
that take the whole timeout one after another.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import markdown
import pytest

from digest.bounds import MAX_ATTRIBUTES, MAX_DEPTH, MAX_INLINE, MAX_QUOTES, bound_markdown, bound_markup
from digest.config import Config, FetchConfig, SourceConfig
from digest.errors import ConfigError, ParseError
from digest.extract import sanitize_html
from digest.sources import gather, parse_feed
from digest.sources.client import GuardedSyncTransport
from digest.sources.feeds import _feed_link
from digest.sources.folders import _read_html, _read_markdown
from digest.sources.guard import DestinationPolicy, Refused, embedded_ipv4
from digest.sources.workers import OutOfMemory, WorkerPool
from digest.textutil import html_to_text, main_text

from .conftest import free_port
from .test_fetch import FAST, NOW, Reply, Server, config, server  # noqa: F401  (the fixture)
from .test_proxy import Proxy, proxy  # noqa: F401  (the fixture)

# Each form carries 169.254.169.254 (the cloud metadata address) or a loopback or private address.
EMBEDDED = {
    "NAT64 64:ff9b::/96": ("64:ff9b::a9fe:a9fe", "169.254.169.254"),
    "NAT64 local-use 64:ff9b:1::/48": ("64:ff9b:1::a00:1", "10.0.0.1"),
    "IPv4-compatible ::/96": ("::a9fe:a9fe", "169.254.169.254"),
    "IPv4-compatible loopback": ("::127.0.0.2", "127.0.0.2"),
    "IPv4-mapped": ("::ffff:a9fe:a9fe", "169.254.169.254"),
    "SIIT ::ffff:0:0:0/96": ("::ffff:0:a9fe:a9fe", "169.254.169.254"),
    "6to4 2002::/16": ("2002:a9fe:a9fe::1", "169.254.169.254"),
    # Teredo stores the client's address XOR-ed: 5601:5601 is 169.254.169.254.
    "Teredo 2001::/32": ("2001:0:4136:e378:8000:63bf:5601:5601", "169.254.169.254"),
    "site-local fec0::/10": ("fec0::1", ""),
}


@pytest.mark.parametrize(("address", "inside"), EMBEDDED.values(), ids=EMBEDDED.keys())
def test_ipv6_forms_carrying_a_private_ipv4_are_refused(address: str, inside: str) -> None:
    assert not DestinationPolicy().allows(address)
    # Opening the IPv4 address the form carries does not open the form to a different host.
    assert not DestinationPolicy.from_strings(["8.8.8.8/32"]).allows(address)
    if inside:
        assert inside in map(str, embedded_ipv4(ipaddress.IPv6Address(address)))


@pytest.mark.parametrize("address", ["64:ff9b::808:808", "::ffff:8.8.8.8", "2002:808:808::1"])
def test_the_same_forms_carrying_a_public_ipv4_are_allowed(address: str) -> None:
    assert DestinationPolicy().allows(address)


def test_allowing_the_ipv4_network_allows_its_translated_forms() -> None:
    policy = DestinationPolicy.from_strings(["10.0.0.0/8"])
    assert policy.allows("::ffff:10.1.2.3") and policy.allows("64:ff9b::a01:203")
    assert not policy.allows("64:ff9b::a9fe:a9fe")
    assert not DestinationPolicy().allows("::127.0.0.1")


def _urls(port: int) -> list[str]:
    return [f"http://[{address}]:{port}/latest/meta-data/" for address, _ in EMBEDDED.values()]


def test_each_form_is_refused_directly_beside_a_feed_that_is_read(server: Server) -> None:
    innocent = server.serve("/feed.xml", Reply())
    urls = _urls(free_port())
    gathered = gather(config(*urls, innocent), now=NOW)
    assert len(gathered.articles) == 1, "the innocent feed is still read"
    by_source = {p.source: p for p in gathered.problems}
    assert set(by_source) == set(urls)
    for url, (_, inside) in zip(urls, EMBEDDED.values(), strict=True):
        assert "refused" in by_source[url].message and inside in by_source[url].message
        assert "fetch.allow_networks" in by_source[url].hint


@pytest.mark.slow
def test_each_form_is_refused_through_a_proxy_beside_a_feed_that_is_read(
    proxy: Proxy, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    innocent = server.serve("/feed.xml", Reply())
    urls = _urls(free_port())
    gathered = gather(config(*urls, innocent), now=NOW)
    assert len(gathered.articles) == 1, "the innocent feed is read through the proxy"
    assert {p.source for p in gathered.problems} == set(urls)
    assert all("refused" in p.message for p in gathered.problems)
    log = proxy.log.read_text()
    assert "a9fe" not in log and "fec0" not in log and "127.0.0.1]" not in log


@pytest.fixture
def llm_endpoint(server: Server) -> Iterator[str]:
    server.serve("/v1/chat/completions", Reply(body=b"{}"))
    yield server.url("/v1")


@pytest.mark.slow
def test_the_llm_client_is_held_to_the_same_policy(llm_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with httpx.Client(transport=GuardedSyncTransport(DestinationPolicy()), trust_env=False) as client:
        with pytest.raises(Refused):
            client.get(llm_endpoint + "/chat/completions")
        with pytest.raises(Refused):
            client.get("http://[64:ff9b::a9fe:a9fe]/latest/")
    allowed = GuardedSyncTransport(DestinationPolicy.from_strings(["127.0.0.1/32"]))
    with httpx.Client(transport=allowed, trust_env=False) as client:
        assert client.get(llm_endpoint + "/chat/completions").status_code == 200


@pytest.mark.slow
def test_the_llm_client_through_a_proxy_refuses_what_a_feed_may_not_reach(proxy: Proxy) -> None:
    transport = GuardedSyncTransport(DestinationPolicy(), proxies={"http": proxy.url})
    with httpx.Client(transport=transport, trust_env=False) as client, pytest.raises(Refused):
        client.get("http://[64:ff9b::a9fe:a9fe]/latest/")
    assert "a9fe" not in proxy.log.read_text()


# ---- entities: what the feed's own declarations grow it to counts against fetch.max_bytes ----


def entity_bomb(references: int, length: int) -> bytes:
    """One plain entity of ``length`` bytes, referenced ``references`` times: what feedparser keeps."""
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "{"x" * length}">\n]>\n'
        '<rss version="2.0"><channel><title>Bomb</title><item><guid>b</guid><title>Bomb</title>'
        f"<description>{'&a;' * references}</description></item></channel></rss>"
    ).encode()


def test_an_11_kb_feed_expanding_to_megabytes_is_refused_without_expanding_it() -> None:
    bomb = entity_bomb(2500, 1200)  # 9 KB growing to 3 MB: under expat's amplification limit
    assert len(bomb) < 11_000
    tracemalloc.start()
    try:
        with pytest.raises(ParseError) as caught:
            parse_feed(bomb, location="https://bomb.example/feed", now=NOW, max_bytes=1_000_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.source == "https://bomb.example/feed" and "fetch.max_bytes" in caught.value.message
    assert peak < 2_000_000, f"the expansion was never made: peak {peak} bytes"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_the_same_bomb_in_a_wide_encoding_is_refused(codec: str) -> None:
    bomb = entity_bomb(2500, 1200).decode().replace('version="1.0"?', f'version="1.0" encoding="{codec}"?')
    data = bomb.encode(codec) if codec != "utf-16-be" else b"\xfe\xff" + bomb.encode(codec)
    with pytest.raises(ParseError, match=r"fetch\.max_bytes"):
        parse_feed(data, location="f", now=NOW, max_bytes=1_000_000)


def test_an_expansion_expat_stops_is_not_reread_by_the_loose_parser() -> None:
    # 12 MB from 31 KB: within max_bytes here, but past expat's amplification limit.
    with pytest.raises(ParseError, match="entity expansion past the XML parser's limit"):
        parse_feed(entity_bomb(10_000, 1200), location="f", now=NOW, max_bytes=100_000_000)


def test_a_few_small_entities_are_still_read() -> None:
    feed = entity_bomb(3, 10).replace(b"<title>Bomb</title><item>", b"<title>Fine</title><item>")
    [(article, _)] = parse_feed(feed, location="f", now=NOW, max_bytes=1_000_000)
    assert article.summary_html == "x" * 30


@pytest.mark.slow
def test_a_106_kb_bomb_beside_an_innocent_feed_is_one_problem_and_memory_stays_bounded(server: Server) -> None:
    bomb = server.serve("/bomb.xml", Reply(body=entity_bomb(25_000, 5_000)))
    innocent = server.serve("/feed.xml", Reply())
    fetch = replace(FAST, max_bytes=1_000_000)
    tracemalloc.start()
    try:
        gathered = gather(config(bomb, innocent, fetch=fetch), now=NOW)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    [problem] = gathered.problems
    assert problem.source == bomb and "fetch.max_bytes" in problem.message
    assert [a.title for a in gathered.articles] == ["First"]
    assert peak < 50_000_000


# ---- parsing runs in worker processes, each input within fetch.parse_seconds ----


def many_items(count: int) -> bytes:
    items = "".join(
        f"<item><guid>g{n}</guid><title>Item {n}</title><description>&lt;p&gt;Words {n}&lt;/p&gt;</description>"
        f"<pubDate>Sat, 21 Nov 2026 10:00:00 GMT</pubDate></item>"
        for n in range(count)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Heavy</title>{items}</channel></rss>'.encode()


@pytest.mark.slow
def test_a_feed_that_keeps_the_parser_busy_is_stopped_and_an_innocent_slow_feed_is_still_read(
    server: Server,
) -> None:
    # Seconds of parsing (on the event loop's thread, it made the innocent feed time out); here a
    # worker gets 0.5 s for it, then is killed and replaced for the innocent feed.
    heavy = server.serve("/heavy.xml", Reply(body=many_items(40_000)))
    innocent = server.serve("/feed.xml", Reply(delay=1.5))
    fetch = replace(FAST, timeout=3.0, parse_seconds=0.5, parse_workers=1)
    started = time.monotonic()
    gathered = gather(config(heavy, innocent, fetch=fetch), now=NOW)
    [problem] = gathered.problems
    assert problem.source == heavy and "longer than 0.5s" in problem.message
    assert "fetch.parse_seconds" in problem.hint
    assert [a.title for a in gathered.articles] == ["First"], "the innocent feed did not time out"
    assert time.monotonic() - started < 30
    # The replacement worker parses the next run's feeds as before.
    again = gather(config(innocent, fetch=fetch), now=NOW)
    assert again.problems == () and len(again.articles) == 1


@pytest.mark.slow
def test_a_saved_file_that_keeps_the_parser_busy_is_one_problem_naming_it(tmp_path: Path) -> None:
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "fine.txt").write_text("Saved and fine\n\nA short saved article.", encoding="utf-8")
    paragraph = " ".join(f"*word* **{n}** [link {n}](https://e.example/{n})" for n in range(60))
    (folder / "heavy.md").write_text("\n\n".join([paragraph] * 3000), encoding="utf-8")
    fetch = FetchConfig(parse_seconds=0.5)
    gathered = gather(Config(sources=(SourceConfig(folder=str(folder)),), fetch=fetch), now=NOW)
    [problem] = gathered.problems
    assert problem.source == str(folder / "heavy.md") and "longer than 0.5s" in problem.message
    assert [a.title for a in gathered.articles] == ["Saved and fine"]


# ---- linear time on every input-driven path: inputs that took minutes, each under a few seconds ----

NESTED = "<div>" * 60_000 + "deep text"
ATTRIBUTES = "<p><img " + " ".join(f"a{n}=x" for n in range(30_000)) + ">kept text</p>"


def _timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def test_bound_markup_caps_depth_and_attributes_and_keeps_the_text() -> None:
    bounded = bound_markup(NESTED)
    assert bounded.count("<div>") == MAX_DEPTH and bounded.endswith("deep text")
    bounded = bound_markup(ATTRIBUTES)
    assert bounded.count("=x") == MAX_ATTRIBUTES and "kept text" in bounded
    benign = "<p>One <b>two</b><p>three <a href='x' title='y'>four</a><ul><li>a<li>b</ul>" * 200
    assert bound_markup(benign) is benign


def test_bound_markdown_cuts_long_paragraphs_and_caps_quote_depth() -> None:
    paragraph = " ".join(f"[link {n}](https://e.example/{n})" for n in range(1000))
    html = markdown.markdown(bound_markdown(paragraph))
    # Every link still links, in paragraphs of at most MAX_INLINE marks each (a link has one).
    assert html.count("<a ") == 1000 and html.count("<p>") == 1000 // MAX_INLINE + 1
    assert bound_markdown(">" * 5000 + " deep").count(">") == MAX_QUOTES
    benign = "A *short* paragraph with [a link](https://e.example/) and `code`.\n\nAnother one."
    assert bound_markdown(benign) == benign


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "work", "before"),
    [
        ("saved page: 16,000 <title> (112 KB)", lambda: _read_html(b"<title>" * 16_000), 40),
        ("saved page: 40,000 <title> (280 KB)", lambda: _read_html(b"<title>" * 40_000), 111),
        ("page named as a feed: 198 KB of <link", lambda: _feed_link("<link type='application/rss+xml' " * 6000), 111),
        ("60,000 nested <div>: text", lambda: html_to_text(NESTED), 48),
        ("60,000 nested <div>: article text", lambda: main_text(NESTED), 43),
        ("60,000 nested <div>: sanitized", lambda: sanitize_html(NESTED), 74),
        ("30,000 attributes: text", lambda: html_to_text(ATTRIBUTES), 6),
        ("30,000 attributes: article text", lambda: main_text(ATTRIBUTES), 10),
        ("Markdown: 7,000 '[a]('", lambda: _read_markdown(b"[a](" * 7000), 12),
        ("Markdown: a paragraph of 1,000 links", lambda: _read_markdown(_LINKS), 13),
        ("200,000 nested <blockquote>: sanitized", lambda: sanitize_html("<blockquote>" * 200_000), 228),
    ],
)
def test_inputs_that_took_minutes_take_seconds(name: str, work: Callable[[], object], before: float) -> None:
    # ``before``: seconds each took with patterns over the markup and no bounds (2 shared cores).
    assert _timed(work) < 5.0, name


_LINKS = " ".join(f"[link {n}](https://e.example/{n})" for n in range(1000)).encode()


@pytest.mark.slow
def test_a_saved_page_of_title_tags_beside_a_fine_file_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "fine.txt").write_text("Saved and fine\n\nA short saved article.", encoding="utf-8")
    (folder / "titles.html").write_bytes(b"<html><head><title>Real title</title></head>" + b"<title>" * 40_000)
    started = time.perf_counter()
    gathered = gather(Config(sources=(SourceConfig(folder=str(folder)),)), now=NOW)
    assert time.perf_counter() - started < 30
    assert sorted(a.title for a in gathered.articles) == ["Real title", "Saved and fine"]


# ---- deadlines: a source's full-text pages, and the run ----


@pytest.mark.slow
def test_full_text_pages_stop_at_the_source_budget_and_are_tried_next_run(server: Server) -> None:
    items = "".join(
        f"<item><guid>p{n}</guid><title>Page {n}</title><link>{server.url(f'/page{n}')}</link>"
        f"<pubDate>Sat, 21 Nov 2026 10:00:00 GMT</pubDate><description>Teaser {n}.</description></item>"
        for n in range(20)
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Slow</title>{items}</channel></rss>'
    slow = server.serve("/slow.xml", Reply(body=body.encode(), headers={"ETag": '"v1"'}))
    for n in range(20):
        server.serve(
            f"/page{n}", Reply(body=b"<html><body><p>" + b"Long text. " * 50 + b"</p></body></html>", delay=1.0)
        )
    innocent = server.serve("/feed.xml", Reply())
    # One page at a time, each taking a second: 20 s without a budget (hours for a real list at 20 s each).
    fetch = replace(FAST, timeout=5.0, per_host=1, source_seconds=2.5)
    started = time.monotonic()
    gathered = gather(
        Config(sources=(SourceConfig(url=slow, full_text=True), SourceConfig(url=innocent)), fetch=fetch), now=NOW
    )
    assert time.monotonic() - started < 12
    [problem] = [p for p in gathered.problems if p.source == slow]
    assert "full-text pages not read within fetch.source_seconds" in problem.message
    read = [a for a in gathered.articles if a.source == "Slow"]
    assert 0 < len(read) < 20, "the pages read in time are kept, the rest left for the next run"
    assert "First" in {a.title for a in gathered.articles}
    [state] = [s for s in gathered.feeds if s.url == slow]
    assert state.etag == "", "the feed is fetched whole next run, not answered with a 304"


@pytest.mark.slow
def test_a_source_not_read_by_the_run_deadline_is_a_problem_and_the_others_are_read(server: Server) -> None:
    stalled = server.serve("/stalled.xml", Reply(delay=8.0))
    innocent = server.serve("/feed.xml", Reply())
    fetch = replace(FAST, timeout=20.0, run_seconds=2.0)
    started = time.monotonic()
    gathered = gather(config(stalled, innocent, fetch=fetch), now=NOW)
    assert time.monotonic() - started < 6
    [problem] = gathered.problems
    assert problem.source == stalled and "run's deadline" in problem.message and "next run" in problem.hint
    assert [a.title for a in gathered.articles] == ["First"]
    assert [s.url for s in gathered.feeds] == [innocent], "the stalled feed's state is left as it was"


@pytest.mark.slow
def test_a_saved_page_that_takes_the_workers_memory_is_stopped_and_an_innocent_feed_is_still_read(
    tmp_path: Path,
) -> None:
    # A worker holds ~310 MB of address space once its models are loaded. This 8.8 MB page (under
    # fetch.max_bytes) of 1.1 million elements takes its parser and extractor to ~1.7 GB: under a 600 MB
    # cap its allocations fail (the HTML parser reports it cannot parse), and the innocent feed is read.
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "huge.html").write_text("<html><body>" + "<b>x</b>" * 1_100_000 + "</body></html>")
    innocent = tmp_path / "feed.xml"
    innocent.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour</title><item><guid>f1</guid>'
        "<title>First</title><pubDate>Sat, 21 Nov 2026 10:00:00 GMT</pubDate></item></channel></rss>"
    )
    fetch = FetchConfig(parse_memory_mb=600, parse_workers=1)
    sources = (SourceConfig(folder=str(folder)), SourceConfig(path=str(innocent)))
    gathered = gather(Config(sources=sources, fetch=fetch), now=NOW)
    [problem] = gathered.problems
    assert problem.source == str(folder / "huge.html")
    assert any(s in problem.message for s in ("more than 600 MB of memory", "died", "cannot read saved article"))
    assert [a.title for a in gathered.articles] == ["First"]


@pytest.mark.slow
def test_a_worker_that_runs_out_of_memory_is_replaced_and_the_next_input_is_read() -> None:
    pool = WorkerPool(preload=("digest.sources.jobs",), megabytes=600)

    async def both() -> tuple[BaseException | None, int]:
        try:
            await pool.run(30.0, bytearray, 2**30)  # a real gigabyte, past the cap
            failure: BaseException | None = None
        except OutOfMemory as exc:
            failure = exc
        return failure, await pool.run(30.0, len, b"next input")

    try:
        failure, after = asyncio.run(both())
    finally:
        pool.close()
    assert isinstance(failure, OutOfMemory) and str(failure) == "took more than 600 MB of memory"
    assert after == len(b"next input")


def test_a_worker_memory_cap_too_small_to_start_a_worker_is_refused() -> None:
    with pytest.raises(ConfigError, match="parse_memory_mb"):
        FetchConfig(parse_memory_mb=100)
    assert FetchConfig(parse_memory_mb=0).parse_memory_mb == 0
