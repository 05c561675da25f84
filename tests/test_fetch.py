"""Fetching feeds over real HTTP on loopback: conditional GET, redirects, 410, 429, timeouts, size cap."""

from __future__ import annotations

import asyncio
import gzip
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import brotli
import httpx
import pytest
import trustme

import digest
from digest.config import Config, FetchConfig, SourceConfig
from digest.models import FeedState
from digest.sources import Gathered, gather
from digest.sources.client import GuardedTransport
from digest.sources.fetch import Fetcher
from digest.sources.guard import DestinationPolicy
from digest.store import Store, open_store

from .conftest import serving
from .guids import guid

LOOPBACK = ("127.0.0.1/32",)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Loop</title>
<item><guid>a</guid><title>First</title><link>http://127.0.0.1/a</link>
<pubDate>Sat, 21 Nov 2026 10:00:00 GMT</pubDate><description>Teaser.</description></item>
</channel></rss>"""
FAST = FetchConfig(allow_networks=LOOPBACK, timeout=2.0, connect_timeout=2.0, retries=0, backoff=0.0)


@dataclass
class Reply:
    status: int = 200
    body: bytes = FEED
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    wait: Callable[[], object] | None = None


class Gate:
    """Holds requests until ``n`` are in flight together, or until :meth:`open`: order by events, not sleeps."""

    def __init__(self, n: int = 0) -> None:
        self._n, self._count, self._lock = n, 0, threading.Lock()
        self.arrived = threading.Event()
        self.opened = threading.Event()

    def __call__(self) -> None:
        with self._lock:
            self._count += 1
            self.arrived.set()
            if self._n and self._count >= self._n:
                self.opened.set()
        # Bounded, so a broken limit fails the test (the assertions see it) instead of hanging it.
        self.opened.wait(10)

    def open(self) -> None:
        self.opened.set()


@dataclass
class Server:
    port: int
    host: str = "127.0.0.1"
    routes: dict[str, Callable[[dict[str, str]], Reply]] = field(default_factory=dict)
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    connections: set[tuple[str, int]] = field(default_factory=set)
    hung_up: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def serve(self, path: str, *replies: Reply) -> str:
        """Answer ``path`` with ``replies`` in turn, the last one from then on."""
        queue = list(replies)

        def answer(headers: dict[str, str]) -> Reply:
            return queue.pop(0) if len(queue) > 1 else queue[0]

        self.routes[path] = answer
        return self.url(path)

    def requests(self, path: str) -> list[dict[str, str]]:
        return [headers for seen, headers in self.seen if seen == path]


class _Handler(BaseHTTPRequestHandler):
    state: Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        state = self.state
        with state.lock:
            state.seen.append((self.path, headers))
            state.connections.add(self.client_address)
            state.in_flight += 1
            state.most_in_flight = max(state.most_in_flight, state.in_flight)
        try:
            route = state.routes.get(self.path)
            reply = route(headers) if route else Reply(404, b"no")
            if reply.wait is not None:
                reply.wait()
            time.sleep(reply.delay)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.status != 304:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.status != 304:
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with state.lock:
                state.in_flight -= 1


class _HTTPServer(ThreadingHTTPServer):
    state: Server

    def shutdown_request(self, request: Any) -> None:
        # Counted once the socket is closed, so a test can wait for a hang-up instead of sleeping past it.
        super().shutdown_request(request)
        self.state.hung_up.release()


@pytest.fixture
def server() -> Iterator[Server]:
    yield from _serve()


def _serve(
    tls: ssl.SSLContext | None = None, idle_timeout: float | None = None, host: str = "127.0.0.1"
) -> Iterator[Server]:
    state = Server(port=0, host=host)
    handler = type("Handler", (_Handler,), {"state": state, "timeout": idle_timeout})
    httpd = _HTTPServer((host, 0), handler)
    httpd.state = state
    httpd.daemon_threads = True
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    state.port = httpd.server_address[1]
    with serving(httpd):
        yield state


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[Server]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    yield from _serve(context)


@pytest.fixture
def impatient_server() -> Iterator[Server]:
    """Hangs up on a kept-alive connection after 0.2 s of silence, as busy servers do."""
    yield from _serve(idle_timeout=0.2)


def config(*urls: str, fetch: FetchConfig = FAST, **source: Any) -> Config:
    return Config(sources=tuple(SourceConfig(url=u, **source) for u in urls), fetch=fetch)


def save(store: Store, gathered: Gathered) -> None:
    with store.transaction():
        store.feeds.record(gathered.feeds)


def test_second_run_sends_validators_and_a_304_costs_no_parsing(server: Server) -> None:
    stamp = "Sat, 21 Nov 2026 10:00:00 GMT"
    url = server.serve(
        "/feed.xml", Reply(headers={"ETag": '"v1"', "Last-Modified": stamp}), Reply(304, headers={"ETag": '"v1"'})
    )
    with open_store(":memory:") as store:
        first = gather(config(url), now=NOW, store=store)
        assert [guid(a) for a in first.articles] == ["a"] and first.problems == ()
        save(store, first)
        second = gather(config(url), now=NOW, store=store)
        assert second.articles == () and second.problems == ()
        assert store.feed_states([url])[url].etag == '"v1"'
    conditional = server.requests("/feed.xml")[1]
    assert conditional["if-none-match"] == '"v1"'
    assert conditional["if-modified-since"] == stamp


def test_user_agent_and_compression(server: Server) -> None:
    gz = server.serve("/gz", Reply(body=gzip.compress(FEED), headers={"Content-Encoding": "gzip"}))
    br = server.serve(
        "/br", Reply(body=brotli.compress(FEED.replace(b"<guid>a", b"<guid>b")), headers={"Content-Encoding": "br"})
    )
    gathered = gather(config(gz, br), now=NOW)
    assert sorted(guid(a) for a in gathered.articles) == ["a", "b"]
    headers = server.requests("/gz")[0]
    assert headers["user-agent"].startswith(f"digest/{digest.__version__} (+https://")  # the release that asked
    assert "br" in headers["accept-encoding"] and "gzip" in headers["accept-encoding"]


def test_permanent_redirect_is_followed_recorded_and_used_next_run(server: Server) -> None:
    new = server.serve("/new.xml", Reply())
    old = server.serve("/old.xml", Reply(301, b"", {"Location": new}))
    with open_store(":memory:") as store:
        first = gather(config(old), now=NOW, store=store)
        assert [guid(a) for a in first.articles] == ["a"]
        [moved] = first.problems
        assert moved.source == old and new in moved.message and "config" in moved.hint
        save(store, first)
        assert store.feed_states([old])[old].moved_to == new
        gather(config(old), now=NOW, store=store)
    assert len(server.requests("/old.xml")) == 1 and len(server.requests("/new.xml")) == 2


def test_temporary_redirect_is_followed_silently(server: Server) -> None:
    target = server.serve("/there.xml", Reply())
    here = server.serve("/here.xml", Reply(302, b"", {"Location": target}))
    gathered = gather(config(here), now=NOW)
    assert [guid(a) for a in gathered.articles] == ["a"] and gathered.problems == ()
    assert gathered.feeds[0].moved_to == ""


def test_a_cookie_set_by_a_redirect_comes_back_on_the_next_hop(server: Server) -> None:
    def feed(headers: dict[str, str]) -> Reply:
        return Reply() if "consent=yes" in headers.get("cookie", "") else Reply(403, b"no cookie")

    server.routes["/feed.xml"] = feed
    here = server.serve("/consent", Reply(302, b"", {"Location": "/feed.xml", "Set-Cookie": "consent=yes; Path=/"}))
    gathered = gather(config(here), now=NOW)
    assert [guid(a) for a in gathered.articles] == ["a"] and gathered.problems == ()


def test_redirect_loop_is_one_problem(server: Server) -> None:
    a = server.url("/a")
    server.serve("/b", Reply(302, b"", {"Location": a}))
    server.serve("/a", Reply(302, b"", {"Location": server.url("/b")}))
    [problem] = gather(config(a), now=NOW).problems
    assert "redirects" in problem.message


def test_410_marks_the_feed_dead_and_it_is_not_fetched_again(server: Server) -> None:
    url = server.serve("/gone.xml", Reply(410, b"gone"))
    with open_store(":memory:") as store:
        first = gather(config(url), now=NOW, store=store)
        [problem] = first.problems
        assert "dead" in problem.message and "remove it" in problem.hint
        save(store, first)
        assert store.feed_states([url])[url].gone
        second = gather(config(url), now=NOW + timedelta(days=7), store=store)
    assert "dead" in second.problems[0].message and "2026-11-23" in second.problems[0].message
    assert len(server.requests("/gone.xml")) == 1


def test_failures_are_counted_across_runs_and_reset_by_success(server: Server) -> None:
    url = server.serve("/flaky.xml", Reply(500, b"oops"), Reply(500, b"oops"), Reply())
    with open_store(":memory:") as store:
        for run, expected in enumerate((1, 2, 0)):
            gathered = gather(config(url), now=NOW, store=store)
            save(store, gathered)
            assert store.feed_states([url])[url].failures == expected
            if run == 1:
                assert "2 runs in a row" in gathered.problems[0].message


def test_429_waits_for_retry_after_then_succeeds(server: Server) -> None:
    url = server.serve("/busy.xml", Reply(429, b"slow down", {"Retry-After": "1"}), Reply())
    settings = FetchConfig(allow_networks=LOOPBACK, timeout=2.0, retries=1, backoff=0.0)
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    gathered = gather(config(url, fetch=settings), now=NOW, sleep=sleep)
    assert waited == [1.0]
    assert [guid(a) for a in gathered.articles] == ["a"] and gathered.problems == ()
    assert len(server.requests("/busy.xml")) == 2


def test_retry_after_beyond_the_limit_gives_up_at_once(server: Server) -> None:
    url = server.serve("/later.xml", Reply(503, b"", {"Retry-After": "3600"}))
    settings = FetchConfig(allow_networks=LOOPBACK, timeout=2.0, retries=3, max_retry_after=5.0)
    [problem] = gather(config(url, fetch=settings), now=NOW).problems
    assert "503" in problem.message and "next run" in problem.hint
    assert len(server.requests("/later.xml")) == 1


def test_slow_response_hits_the_timeout(server: Server) -> None:
    url = server.serve("/slow.xml", Reply(delay=2.0))
    settings = FetchConfig(allow_networks=LOOPBACK, timeout=0.3, retries=0)
    [problem] = gather(config(url, fetch=settings), now=NOW).problems
    assert "timed out" in problem.message and "fetch.timeout" in problem.hint


def test_oversized_body_is_cut_off(server: Server) -> None:
    url = server.serve("/huge.xml", Reply(body=FEED + b"<!--" + b"x" * 50_000 + b"-->"))
    settings = FetchConfig(allow_networks=LOOPBACK, timeout=2.0, retries=0, max_bytes=10_000)
    [problem] = gather(config(url, fetch=settings), now=NOW).problems
    assert "larger than 10000 bytes" in problem.message and "fetch.max_bytes" in problem.hint


def test_per_host_limit_holds(server: Server) -> None:
    # The first two are held until both are in flight, so the limit is reached, whatever the timing.
    gate = Gate(2)
    urls = [server.serve(f"/f{i}.xml", Reply(wait=gate)) for i in range(6)]
    settings = FetchConfig(allow_networks=LOOPBACK, timeout=5.0, retries=0, per_host=2)
    gathered = gather(config(*urls, fetch=settings), now=NOW)
    assert gathered.problems == () and len(gathered.articles) == 6
    assert server.most_in_flight == 2


def test_waiting_for_a_slot_does_not_count_against_the_timeout(server: Server) -> None:
    # One at a time, each answer within the timeout, all of them together well past it.
    urls = [server.serve(f"/queued{i}.xml", Reply(delay=0.25)) for i in range(4)]
    settings = FetchConfig(allow_networks=LOOPBACK, timeout=0.6, retries=0, per_host=1)
    gathered = gather(config(*urls, fetch=settings), now=NOW)
    assert gathered.problems == () and len(gathered.articles) == 4


def test_feeds_waiting_for_a_busy_host_do_not_hold_back_other_hosts(server: Server) -> None:
    # Every request is held until four are in flight: the first four the server sees are the first wave.
    gate = Gate(4)
    busy = [server.serve(f"/busy{i}.xml", Reply(wait=gate)) for i in range(8)]
    # The same server under another name is another host to the fetcher.
    other = [server.serve(f"/other{i}.xml", Reply(wait=gate)).replace("127.0.0.1", "localhost") for i in range(2)]
    settings = replace(FAST, concurrency=4, per_host=2)
    gathered = gather(config(*busy, *other, fetch=settings), now=NOW)
    assert gathered.problems == () and len(gathered.articles) == 10
    first_wave = sorted(path for path, _ in server.seen[:4])
    assert first_wave == ["/busy0.xml", "/busy1.xml", "/other0.xml", "/other1.xml"]


def test_a_request_cancelled_while_waiting_gives_its_host_slot_back(server: Server) -> None:
    gate = Gate()
    slow = server.serve("/slow.xml", Reply(wait=gate))
    other = server.serve("/other.xml", Reply()).replace("127.0.0.1", "localhost")

    async def run() -> int:
        async with Fetcher(replace(FAST, concurrency=1, per_host=1)) as fetcher:
            holding = asyncio.create_task(fetcher.get(slow))
            assert await asyncio.to_thread(gate.arrived.wait, 10), "the first request holds the global slot"
            waiting = asyncio.create_task(fetcher.get(other))
            # One turn of the loop: it takes other's host slot (free, so at once) and blocks on the global one.
            await asyncio.sleep(0)
            assert not waiting.done()
            waiting.cancel()
            gate.open()
            await holding
            return (await asyncio.wait_for(fetcher.get(other), 2.0)).status

    assert asyncio.run(run()) == 200


def test_tls_failure_and_refused_connection_are_named(server: Server) -> None:
    tls = server.url("/feed.xml").replace("http://", "https://")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/feed.xml"
    gathered = gather(config(tls, closed), now=NOW)
    by_source = {p.source: p for p in gathered.problems}
    assert "TLS" in by_source[tls].hint
    assert "cannot connect" in by_source[closed].hint


def test_https_feed_is_fetched_over_verified_tls_and_kept_alive(tls_server: Server, ca: trustme.CA) -> None:
    urls = [tls_server.serve(f"/s{i}.xml", Reply()).replace("http://", "https://") for i in range(3)]
    trusted = ssl.create_default_context()
    ca.configure_trust(trusted)
    transport = GuardedTransport(DestinationPolicy.from_strings(LOOPBACK), per_host=1, ssl_context=trusted)
    one_at_a_time = replace(config(*urls), fetch=replace(FAST, per_host=1))
    gathered = gather(one_at_a_time, now=NOW, transport=transport)
    assert gathered.problems == () and len(gathered.articles) == 3
    assert len(tls_server.connections) == 1  # one handshake carried all three requests


def test_a_connection_the_server_closed_while_idle_is_not_reused(impatient_server: Server) -> None:
    url = impatient_server.serve("/feed.xml", Reply())

    async def twice() -> list[int]:
        async with Fetcher(FAST) as fetcher:
            first = await fetcher.get(url)
            assert await asyncio.to_thread(impatient_server.hung_up.acquire, True, 10), "the server hung up"
            return [first.status, (await fetcher.get(url)).status]

    assert asyncio.run(twice()) == [200, 200]  # no retries: a stale connection would fail the second
    assert len(impatient_server.connections) == 2


def test_untrusted_certificate_is_a_named_tls_problem(tls_server: Server) -> None:
    url = tls_server.serve("/s.xml", Reply()).replace("http://", "https://")
    [problem] = gather(config(url), now=NOW).problems
    assert problem.source == url and "TLS" in problem.hint and "certificate" in problem.message.lower()


def test_dns_failure_is_named() -> None:
    # A resolver failure cannot be staged on loopback, so this one fault comes from a mock transport.
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)

    url = "http://no-such-host.invalid/feed.xml"
    [problem] = gather(config(url), now=NOW, transport=httpx.MockTransport(fail)).problems
    assert problem.source == url and "does not resolve" in problem.hint


def test_html_page_and_404_are_problems_and_the_rest_goes_on(server: Server) -> None:
    page = server.serve(
        "/blog", Reply(body=b'<html><head><link type="application/atom+xml" href="/atom"></head></html>')
    )
    good = server.serve("/good.xml", Reply())
    gathered = gather(config(page, server.url("/missing"), good), now=NOW)
    assert [guid(a) for a in gathered.articles] == ["a"]
    by_source = {p.source: p for p in gathered.problems}
    assert by_source[page].hint.endswith(server.url("/atom"))
    assert "404" in by_source[server.url("/missing")].message


def test_full_text_replaces_the_teaser_with_the_linked_article(server: Server) -> None:
    article = "<p>" + "The whole story of the quay, told at length. " * 20 + "</p>"
    server.serve("/a", Reply(body=f"<html><body><nav>Menu</nav><article>{article}</article></body></html>".encode()))
    url = server.serve("/teaser.xml", Reply(body=FEED.replace(b"http://127.0.0.1/a", server.url("/a").encode())))
    [found] = gather(config(url, full_text=True), now=NOW).articles
    assert found.text.startswith("The whole story of the quay") and "Menu" not in found.text
    assert found.summary_html == "Teaser."


def test_full_text_is_fetched_for_every_item_of_a_catch_up_window(server: Server) -> None:
    # An item ten days old: outside the default seven-day window, inside a run catching up a missed week.
    article = "<p>" + "The whole story of the quay, told at length. " * 20 + "</p>"
    server.serve("/a", Reply(body=f"<html><body><article>{article}</article></body></html>".encode()))
    url = server.serve("/teaser.xml", Reply(body=FEED.replace(b"http://127.0.0.1/a", server.url("/a").encode())))
    later = NOW + timedelta(days=8)
    [teaser] = gather(config(url, full_text=True), now=later).articles
    assert teaser.summary_html == "Teaser." and not teaser.text, "outside the window: the teaser, no page read"
    [caught_up] = gather(config(url, full_text=True), now=later, since=later - timedelta(days=14)).articles
    assert caught_up.text.startswith("The whole story of the quay")


def test_progress_is_reported(server: Server) -> None:
    urls = [server.serve(f"/p{i}.xml", Reply()) for i in range(3)]
    calls: list[tuple[int, int]] = []
    gather(config(*urls), now=NOW, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_feed_state_round_trips_through_the_store(store: Store) -> None:
    state = FeedState("http://x/f", '"e"', "Mon", 2, 500, "HTTP 500", False, "http://y/f", NOW)
    with store.transaction():
        store.feeds.record([state])
    assert store.feeds.states(["http://x/f", "http://other"]) == {"http://x/f": state}
    with store.transaction():
        store.feeds.record([FeedState("http://x/f", failures=3)], validators=False)
    kept = store.feeds.states(["http://x/f"])["http://x/f"]
    assert (kept.etag, kept.failures) == ('"e"', 3)


def test_an_https_feed_never_redirects_to_plain_http(tls_server: Server, ca: trustme.CA) -> None:
    plain = "http://127.0.0.1:9/feed.xml"
    url = tls_server.serve("/feed.xml", Reply(301, b"", {"Location": plain})).replace("http://", "https://")
    trusted = ssl.create_default_context()
    ca.configure_trust(trusted)
    transport = GuardedTransport(DestinationPolicy.from_strings(LOOPBACK), per_host=1, ssl_context=trusted)
    [problem] = gather(config(url), now=NOW, transport=transport).problems
    assert "HTTPS to http" in problem.message
