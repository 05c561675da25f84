"""Hostile servers against a real ``digest run --dry-run``: does every attack stop at the intake?

Loopback servers answer with an attack per URL: local file names as bodies, gzip, brotli and zstd
bombs (on a 200 and behind a redirect), stacked encodings, private and link-local destinations,
endless redirects and a redirect loop between two host names, a slow drip, endless headers and
bodies, an OPML list of private addresses, an external entity, ``javascript:`` links, a tracking
pixel, and a saved folder with a symlink out of it and a FIFO. 127.0.0.1 stands for the public
internet (the config allows it); 127.0.0.2 for a private host it does not allow.

One ``digest run --dry-run`` reads them all, in a child process whose peak RSS is taken. A case
*holds* when its source ends in the expected problem line (or, for the cases that must still be
read, in its article) and nothing secret reaches any rendering. Prints one line per case, then
``cases=N held=N peak_mb=M``. Goal: every case holds, peak_mb under 400.

    python benchmarks/hostile_fetch.py                 # 1 GB bombs, fetch.max_bytes 10 MB
    python benchmarks/hostile_fetch.py --bomb-mb 20 --max-bytes 1000000
"""

from __future__ import annotations

import argparse
import contextlib
import html.parser
import json
import os
import resource
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import brotli
import markdown

SECRET = "LEAKED-SECRET-7f3a"
NOW = "2026-11-23T09:00:00+00:00"
PUBLISHED = "Sat, 21 Nov 2026 10:00:00 GMT"


def feed(title: str, *, link: str = "https://news.example/a", description: str = "A line of text.") -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Bench</title><link>https://news.example/</link>'
        f"<item><guid>{title}</guid><title>{title}</title><link>{link}</link><pubDate>{PUBLISHED}</pubDate>"
        f"<description>{description}</description></item></channel></rss>"
    ).encode()


Respond = Callable[[BinaryIO], None]


@dataclass
class Case:
    name: str
    # The problem lines it must produce, as (source URL or path, text the line must contain); or the
    # title of the article it must still deliver.
    problems: list[tuple[str, str]] = field(default_factory=list)
    article: str = ""
    # What must never reach a rendering because of this case: its own secret, an unsafe link, the pixel.
    must_not: str = ""
    # Anything else holding means, checked after the run (how often the server was asked, say).
    check: Callable[[], bool] | None = None


class Attacks:
    """What each path answers, and the cases they make up."""

    def __init__(self, work: Path, bomb_mb: int) -> None:
        self.work = work
        self.routes: dict[str, Respond] = {}
        self.cases: list[Case] = []
        self.sources: list[str] = []
        self.bombs = _bombs(bomb_mb)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    port = 0


def _bombs(megabytes: int) -> dict[str, bytes]:
    zero = b"\0" * (1 << 20)
    gz = zlib.compressobj(6, zlib.DEFLATED, 31)
    br = brotli.Compressor(quality=5)
    bombs = {
        "gzip": b"".join(gz.compress(zero) for _ in range(megabytes)) + gz.flush(),
        "br": b"".join(br.process(zero) for _ in range(megabytes)) + br.finish(),
    }
    try:
        import zstandard
    except ImportError:  # the case still runs: the encoding is refused before a byte is decoded
        bombs["zstd"] = b"\x28\xb5\x2f\xfd" + os.urandom(1024)
    else:
        zs = zstandard.ZstdCompressor(level=3).compressobj()
        bombs["zstd"] = b"".join(zs.compress(zero) for _ in range(megabytes)) + zs.flush()
    return bombs


def _head(status: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items()), "Connection: close", "", ""]
    return "\r\n".join(lines).encode()


def reply(body: bytes, status: str = "200 OK", **headers: str) -> Respond:
    def respond(out: BinaryIO) -> None:
        out.write(_head(status, {"Content-Type": "application/rss+xml", "Content-Length": str(len(body)), **headers}))
        out.write(body)

    return respond


def redirect(location: str, status: str = "302 Found", body: bytes = b"", **headers: str) -> Respond:
    return reply(body, status, Location=location, **headers)


def forever(head: bytes, piece: bytes, pause: float = 0.0) -> Respond:
    def respond(out: BinaryIO) -> None:
        out.write(head)
        while True:
            out.write(piece)
            out.flush()
            if pause:
                time.sleep(pause)

    return respond


def build(attacks: Attacks) -> None:
    """Every case: its routes, its source in the config, what holding means for it."""
    a, routes = attacks, attacks.routes
    secret_feed = a.work / "secret.xml"
    secret_feed.write_bytes(feed(SECRET + "-local"))
    (a.work / "secret.txt").write_text(SECRET + "-file")

    def url_case(
        name: str, path: str, respond: Respond, needle: str = "", article: str = "", must_not: str = ""
    ) -> None:
        routes[path] = respond
        a.sources.append(f'url = "{a.url(path)}"')
        a.cases.append(Case(name, [(a.url(path), needle)] if not article else [], article, must_not))

    url_case("body names a local file", "/local", reply(str(secret_feed).encode()), "not", must_not=SECRET + "-local")
    url_case("body names /dev/zero", "/devzero", reply(b"/dev/zero"), "not")
    gzip_bomb = a.bombs["gzip"]
    url_case("gzip bomb on a 200", "/gzip", reply(gzip_bomb, **{"Content-Encoding": "gzip"}), "larger than")
    routes["/after-bomb"] = reply(feed("Redirect survivor"))
    url_case(
        "gzip bomb in a 302 body",
        "/gzip302",
        redirect("/after-bomb", body=gzip_bomb, **{"Content-Encoding": "gzip"}),
        article="Redirect survivor",
    )
    url_case("brotli bomb", "/br", reply(a.bombs["br"], **{"Content-Encoding": "br"}), "larger than")
    url_case("zstd bomb", "/zstd", reply(a.bombs["zstd"], **{"Content-Encoding": "zstd"}), "Content-Encoding")
    stacked = reply(zlib.compress(zlib.compress(feed("x"))), **{"Content-Encoding": "deflate, deflate"})
    url_case("stacked encodings", "/stacked", stacked, "stacked")
    url_case("endless body", "/endless", forever(_head("200 OK", {}), b"<rss>" * 8192), "larger than")
    huge = _head("200 OK", {"Content-Length": str(5 << 30)})
    url_case("5 GB Content-Length", "/declared", forever(huge, b"\0" * 65536), "larger than")
    url_case("redirect to 127.0.0.2", "/to-private", redirect(a.url("/feed", "127.0.0.2")), "127.0.0.2")
    url_case("redirect to 169.254.169.254", "/to-metadata", redirect("http://169.254.169.254/latest/"), "169.254")
    url_case("redirect to file:", "/to-file", redirect("file:///etc/passwd"), "file")
    for i in range(40):
        routes[f"/hop{i}"] = redirect(f"/hop{i + 1}")
    url_case("endless redirects", "/hop0", routes["/hop0"], "redirects")
    routes["/pong"] = redirect(a.url("/ping"))
    url_case("redirect loop between hosts", "/ping", redirect(a.url("/pong", "localhost")), "redirects")
    url_case("1 MB header line", "/header", reply(feed("x"), **{"X-Filler": "a" * (1 << 20)}), "")
    url_case("endless headers", "/headers", forever(b"HTTP/1.1 200 OK\r\n", b"X-A: b\r\n"), "")
    drip = forever(_head("200 OK", {"Content-Length": "100000"}), b"<", pause=0.2)
    url_case("slow drip", "/drip", drip, "timed out")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{a.work / "secret.txt"}">]>'
        f"<rss version='2.0'><channel><title>X</title><item><guid>xxe</guid><title>External entity</title>"
        f"<pubDate>{PUBLISHED}</pubDate><description>Text &amp; &x;.</description></item></channel></rss>"
    ).encode()
    url_case("external entity", "/xxe", reply(xxe), article="External entity", must_not=SECRET + "-file")
    links = feed("Hostile links", link="https://e.example/a>[x](javascript:alert(1))")
    url_case("javascript: in a link", "/links", reply(links), article="Hostile links", must_not="unsafe link")
    pixel = feed(
        "Pixel", description="&lt;p&gt;Body&lt;img src='https://t.example/p.gif' width='1' height='1'&gt;&lt;/p&gt;"
    )
    url_case("tracking pixel", "/pixel", reply(pixel), article="Pixel", must_not="pixel")
    _private_cases(a)
    _folder_case(a)
    _input_cases(a)
    _input_folder_case(a)
    _intake_cases(a)


def _private_cases(a: Attacks) -> None:
    private = a.url("/feed", "127.0.0.2")
    a.routes["/feed"] = reply(feed(SECRET + "-private"))
    a.sources.append(f'url = "{private}"')
    a.cases.append(Case("feed on 127.0.0.2", [(private, "allow_networks")], must_not=SECRET + "-private"))
    listed = ["http://169.254.169.254/latest/meta-data/", f"http://[::1]:{a.port}/feed", private, "file:///etc/passwd"]
    outlines = "".join(f'<outline type="rss" text="x{i}" xmlUrl="{u}"/>' for i, u in enumerate(listed))
    a.routes["/list.opml"] = reply(f'<opml version="2.0"><body>{outlines}</body></opml>'.encode())
    a.sources.append(f'opml = "{a.url("/list.opml")}"')
    needles = ["169.254.169.254", "::1", "127.0.0.2", "file"]
    a.cases.append(Case("OPML of private addresses", list(zip(listed, needles, strict=True))))


def _folder_case(a: Attacks) -> None:
    folder = a.work / "saved"
    folder.mkdir()
    (folder / "fine.txt").write_text("Saved and fine\n\nA saved article that stays inside its folder.")
    (folder / "note.txt").symlink_to(a.work / "secret.txt")
    os.mkfifo(folder / "pipe.txt")
    a.sources.append(f'folder = "{folder}"\nname = "Saved"')
    a.cases.append(
        Case(
            "symlink out of a folder",
            [(str(folder / "note.txt"), "outside")],
            article="Saved and fine",
            must_not=SECRET + "-file",
        )
    )
    a.cases.append(Case("FIFO in a folder", [(str(folder / "pipe.txt"), "FIFO")]))


def _input_cases(a: Attacks) -> None:
    """Input that reaches the parsers: bad Unicode, nesting past any parser, OPML includes that fan out."""

    def case(name: str, path: str, body: bytes, needle: str = "", article: str = "") -> None:
        a.routes[path] = reply(body)
        a.sources.append(f'url = "{a.url(path)}"')
        a.cases.append(Case(name, [(a.url(path), needle)] if not article else [], article))

    item = (
        '{"id": "Lone \\ud800 id", "url": "https://e.example/\\udfff", "title": "Lone \\ud800 x", '
        '"content_html": "<p>Lone \\ud800 body</p>", "date_published": "2026-11-21T10:00:00Z"}'
    )
    lone = '{"version": "https://jsonfeed.org/version/1.1", "title": "Feed \\ud800", "items": [' + item + "]}"
    case("lone surrogates in a JSON Feed", "/lone.json", lone.encode(), article="Lone \ufffd x")
    case(
        "NUL in a GUID",
        "/nul.xml",
        feed(
            "Nul guid survivor", link="https://news.example/nul", description="Harbour cranes idle after a NUL strike."
        ).replace(b"<guid>", b"<guid>a&#0;b"),
        article="Nul guid",
    )
    ansi = feed(
        "Escapes\x1b[2J survivor", link="https://news.example/ansi", description="Terminal makers meet in Oslo."
    ).replace(b"<title>Bench", b"<title>Bench\x1b[2J")
    case("ANSI escapes in titles", "/ansi.xml", ansi, article="Escapes[2J survivor")
    case(
        "<b> nested 16,000 deep",
        "/bold.xml",
        feed("Deep bold", link="https://news.example/bold", description="&lt;b&gt;" * 16_000),
        article="Deep bold",
    )
    # 50,000 levels: unbounded, lexbor and html5ever would each spend some 20 s on it (depth x tags).
    divs = feed("Deep div", link="https://news.example/div", description="<![CDATA[" + "<div>" * 50_000 + "]]>")
    case("<div> nested 50,000 deep", "/divs.xml", divs, article="Deep div")
    deep_json = b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    case("JSON nested 100,000 deep", "/deep.json", deep_json, "invalid JSON")
    nested = '<outline text="f">' * 1100 + '<outline text="x" xmlUrl="https://deep.example/f"/>' + "</outline>" * 1100
    a.routes["/deep.opml"] = reply(f'<opml version="2.0"><body>{nested}</body></opml>'.encode())
    a.sources.append(f'opml = "{a.url("/deep.opml")}"')
    a.cases.append(Case("OPML nested 1,100 deep", [(a.url("/deep.opml"), "nested more than")]))
    _fan_out_case(a)


def _fan_out_case(a: Attacks) -> None:
    """Sixteen OPML lists in five levels, each including three of the next: each must be fetched once."""
    levels = [[0], [1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]]
    asked: list[str] = []
    a.routes["/fan-feed.xml"] = reply(
        feed("Fan-out survivor", link="https://news.example/fan", description="Orchards bloom early in Kent.")
    )
    for level, lists in enumerate(levels):
        below = levels[level + 1][:3] if level + 1 < len(levels) else []
        for n in lists:
            outlines = [f'<outline text="F" xmlUrl="{a.url("/fan-feed.xml")}"/>']
            outlines += [f'<outline type="include" url="{a.url(f"/fan{m}.opml")}"/>' for m in below]
            body = reply(f'<opml version="2.0"><body>{"".join(outlines)}</body></opml>'.encode())

            def respond(out: BinaryIO, body: Respond = body, path: str = f"/fan{n}.opml") -> None:
                asked.append(path)
                body(out)

            a.routes[f"/fan{n}.opml"] = respond
    a.sources.append(f'opml = "{a.url("/fan0.opml")}"')
    a.cases.append(Case("OPML includes read once", article="Fan-out survivor", check=lambda: len(asked) <= 16))


def _input_folder_case(a: Attacks) -> None:
    folder = a.work / "nested"
    folder.mkdir()
    (folder / "fine.txt").write_text("Innocent saved survivor\n\nA saved article beside files nested past any parser.")
    (folder / "toml.md").write_text("+++\ntitle = " + "[" * 50_000 + "]" * 50_000 + "\n+++\nBody\n")
    (folder / "from.eml").write_text("From: " + "(" * 50_000 + "\nSubject: Comment survivor\n\nBody text.\n")
    parts = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(3000))
    (folder / "parts.eml").write_text("Subject: Parts\n" + parts + "Content-Type: text/plain\n\nhello\n")
    (folder / "utf7.eml").write_text("Subject: Seven survivor\nContent-Type: text/plain; charset=utf-7\n\nA +2AA- x\n")
    a.sources.append(f'folder = "{folder}"\nname = "Nested"')
    a.cases.append(Case("TOML front matter 50,000 deep", [(str(folder / "toml.md"), "nested")], "Innocent saved"))
    a.cases.append(Case("3,000 nested multiparts", [(str(folder / "parts.eml"), "multipart")]))
    a.cases.append(Case("From: of 50,000 comments", article="Comment survivor"))
    a.cases.append(Case("UTF-7 lone surrogate", article="Seven survivor"))


# ---- The intake: embedded IPv4 in IPv6, entity expansion, busy parsers, quadratic inputs, deadlines ----

# IPv6 forms that carry 169.254.169.254 (or 127.0.0.2, or a site of their own): each must be refused.
EMBEDDED = [
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::a9fe:a9fe",
    "::a9fe:a9fe",
    "::127.0.0.2",
    "::ffff:0:a9fe:a9fe",
    "2002:a9fe:a9fe::1",
    "2001:0:4136:e378:8000:63bf:5601:5601",
    "fec0::1",
]


INNOCENT_TOPICS = [
    "The harbour ferry will run every ten minutes from March, the transit authority said.",
    "A rare orchid flowered in the botanical garden's glasshouse for the first time in decades.",
    "The city library extends its opening hours to Sunday afternoons after a council vote.",
    "Volunteers counted four hundred migrating cranes over the wetland reserve at dawn.",
    "The regional orchestra announced a free concert series in three village churches.",
    "Engineers finished repairing the old stone bridge two weeks ahead of schedule.",
    "A bakery cooperative opened its third shop, selling rye bread made with local grain.",
]


def slow(body: bytes, seconds: float) -> Respond:
    def respond(out: BinaryIO) -> None:
        time.sleep(seconds)
        reply(body, **{"Content-Type": "text/html"})(out)

    return respond


def _intake_cases(a: Attacks) -> None:
    """Each attack beside an innocent feed whose story must still be delivered."""
    routes = a.routes
    listed = [f"http://[{address}]:{a.port}/latest/meta-data/" for address in EMBEDDED]
    a.sources += [f'url = "{url}"' for url in listed]
    a.cases.append(Case("IPv6 forms carrying a private IPv4", [(u, "refused") for u in listed]))

    def with_innocent(name: str, path: str, respond: Respond, needle: str) -> None:
        routes[path] = respond
        # A story of its own (its link and words): copies of one story would show one title only.
        topic = INNOCENT_TOPICS[len(routes) % len(INNOCENT_TOPICS)]
        innocent = feed(f"Innocent beside {name}", link=f"https://news.example{path}", description=topic)
        routes[path + "-innocent"] = reply(innocent)
        a.sources += [f'url = "{a.url(path)}"', f'url = "{a.url(path + "-innocent")}"']
        problems = [(a.url(path), needle)] if needle else []
        a.cases.append(Case(name, problems, article=f"Innocent beside {name}"))

    bomb = f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "{"x" * 5000}">\n]>\n' + feed("Bomb").decode()
    bomb = bomb.replace("A line of text.", "&a;" * 25_000)  # 106 KB growing to 125 MB
    with_innocent("entity bomb", "/entities", reply(bomb.encode()), "entities")
    with_innocent("feed that keeps the parser busy", "/busy", reply(_busy_feed()), "longer than")
    spam = b"<!doctype html><html><head>" + b"<link type='application/rss+xml' " * 6000
    with_innocent("page of feed-link spam", "/link-spam", reply(spam, **{"Content-Type": "text/html"}), "HTML page")
    nested = feed("Nested quotes", description="&lt;blockquote&gt;" * 50_000 + "deep")
    with_innocent("50,000 nested blockquotes", "/nested", reply(nested), "")
    a.cases[-1].article = "Nested quotes"
    page = b"<html><body><article><p>" + b"The page text. " * 40 + b"</p></article></body></html>"
    items = "".join(
        f"<item><guid>p{n}</guid><title>Paged {n}</title><link>{a.url(f'/page{n}')}</link>"
        f"<pubDate>{PUBLISHED}</pubDate><description>Teaser.</description></item>"
        for n in range(12)
    )
    for n in range(12):
        routes[f"/page{n}"] = slow(page, 2.0)
    paged = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Paged</title>{items}</channel></rss>'
    with_innocent("full-text pages past the source budget", "/paged", reply(paged.encode()), "full-text pages")
    a.sources[-2] += "\nfull_text = true"
    _quadratic_folder(a)


def _busy_feed() -> bytes:
    """Just under 1 MB and seconds of parsing: 6,000 items."""
    items = "".join(
        f"<item><guid>g{n}</guid><title>Item {n}</title><description>&lt;p&gt;Words {n}&lt;/p&gt;</description>"
        f"<pubDate>{PUBLISHED}</pubDate></item>"
        for n in range(6000)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Busy</title>{items}</channel></rss>'.encode()


def _parse_budget() -> float:
    """fetch.parse_seconds for the run: a third of what the busy feed takes to parse on this machine (at
    least half a second), so the busy feed is stopped and the heavy inputs that must be read are not.
    """
    from digest.sources.feeds import parse_feed

    started = time.perf_counter()
    parse_feed(_busy_feed(), location="busy", now=datetime.fromisoformat(NOW))
    return max(0.5, (time.perf_counter() - started) / 3)


def _quadratic_folder(a: Attacks) -> None:
    """Saved files that took minutes each: 40,000 <title>, 60,000 nested <div>, Markdown of 7,000 '[a]('."""
    folder = a.work / "quadratic"
    folder.mkdir()
    (folder / "fine.txt").write_text("Fine beside quadratic files\n\nA saved article that must still be read.")
    (folder / "titles.html").write_bytes(b"<title>" * 40_000)
    (folder / "nested.html").write_bytes(b"<div>" * 60_000 + b"deep")
    (folder / "attributes.html").write_text("<p><img " + " ".join(f"a{n}=x" for n in range(30_000)) + ">text</p>")
    (folder / "brackets.md").write_text("[a](" * 7000)
    (folder / "links.md").write_text(" ".join(f"[link {n}](https://e.example/{n})" for n in range(1000)))
    a.sources.append(f'folder = "{folder}"\nname = "Quadratic"')
    a.cases.append(Case("saved files that took minutes", article="Fine beside quadratic files"))


class _Handler(socketserver.StreamRequestHandler):
    routes: dict[str, Respond]

    def handle(self) -> None:
        request = self.rfile.readline(65536).decode("latin-1").split()
        while self.rfile.readline(65536) not in (b"\r\n", b"\n", b""):
            pass
        respond = self.routes.get(request[1] if len(request) > 1 else "", reply(b"no", "404 Not Found"))
        with contextlib.suppress(OSError):  # the client hung up, as it should on most of these
            respond(self.wfile)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(routes: dict[str, Respond], host: str, port: int) -> _Server:
    server = _Server((host, port), type("Handler", (_Handler,), {"routes": routes}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(a: Attacks, max_bytes: int, timeout: float, parse_seconds: float = 30.0) -> Path:
    sources = "".join(f"\n[[sources]]\n{s}\n" for s in a.sources)
    path = a.work / "digest.toml"
    path.write_text(
        f"""[digest]
title = "Hostile Weekly"
state = "state.db"
output = "out"
{sources}
[fetch]
# 127.0.0.1 stands for the public internet; 127.0.0.2 for a private host, which stays refused.
allow_networks = ["127.0.0.1/32"]
max_bytes = {max_bytes}
timeout = {timeout}
retries = 0
# The intake cases: a parser kept busy is stopped (at a third of the busy feed's parse time here), a
# source's full-text pages after 3 s.
parse_seconds = {parse_seconds:.2f}
source_seconds = 3.0

[rank]
# Every case's article must fit in the issue: no story is cut for want of room.
max_stories = 1000
max_per_section = 1000

[site]
dir = "site"
""",
        encoding="utf-8",
    )
    return path


# Links in the renderings: to the web, to mail, or within the digest and the site.
_SAFE = ("http://", "https://", "mailto:", "#", "/", ".")


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v or "" for k, v in attrs if k in ("href", "src")]


def rendered(work: Path) -> tuple[str, list[str]]:
    """Everything the run rendered, as one text, and every link and image URL in it (Markdown as HTML too)."""
    texts, links = [], _Links()
    for path in sorted((work / "out").rglob("*")) + sorted((work / "site").rglob("*")):
        if path.suffix not in (".md", ".txt", ".html", ".xml", ".json") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        texts.append(text)
        links.feed(markdown.markdown(text, extensions=["footnotes"]) if path.suffix == ".md" else text)
    return "\n".join(texts), links.urls


def judge(case: Case, problems: list[dict[str, str]], text: str, urls: list[str]) -> bool:
    if case.must_not.startswith(SECRET) and case.must_not in text:
        return False
    if case.must_not == "unsafe link" and any(u and not u.startswith(_SAFE) for u in urls):
        return False
    if case.must_not == "pixel" and any("t.example/p.gif" in u for u in urls):
        return False
    for source, needle in case.problems:
        line = [p for p in problems if p["source"] == source]
        if not line or needle.lower() not in (line[0]["message"] + " " + line[0]["hint"]).lower():
            return False
    if case.check is not None and not case.check():
        return False
    return not case.article or case.article in text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bomb-mb", type=int, default=1024, help="decompressed size of each bomb")
    parser.add_argument("--max-bytes", type=int, default=10_000_000, help="fetch.max_bytes of the run")
    parser.add_argument("--timeout", type=float, default=5.0, help="fetch.timeout of the run (the slow drip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        attacks = Attacks(Path(folder), args.bomb_mb)
        attacks.port = _free_port()
        build(attacks)
        servers = [serve(attacks.routes, host, attacks.port) for host in ("127.0.0.1", "127.0.0.2")]
        try:
            parse_seconds = _parse_budget()
            config = write_config(attacks, args.max_bytes, args.timeout, parse_seconds)
            command = [sys.executable, "-m", "digest.cli", "run", "--dry-run", "--config", str(config), "--now", NOW]
            started = time.perf_counter()
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
            except subprocess.TimeoutExpired as exc:
                done = subprocess.CompletedProcess(command, -9, "", f"killed after {exc.timeout}s")
            seconds = time.perf_counter() - started
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        finally:
            for server in servers:
                server.shutdown()
                server.server_close()
        written = attacks.work / "out" / "report.json"
        # A run that died (out of memory, killed by the timeout) leaves no report: every case failed.
        problems = json.loads(written.read_text())["problems"] if written.exists() else []
        text, urls = rendered(attacks.work)
    held = 0
    for case in attacks.cases:
        ok = judge(case, problems, text, urls)
        held += ok
        print(f"{'held' if ok else 'FAILED':6} {case.name}")
    print(f"run exit {done.returncode} in {seconds:.1f}s, {len(problems)} problem lines")
    print(f"fetch.parse_seconds {parse_seconds:.2f} (a third of the busy feed's parse here)")
    if done.returncode not in (0, 2, 3):
        print(done.stderr[-2000:], file=sys.stderr)
    print(f"cases={len(attacks.cases)} held={held} peak_mb={peak_mb:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
