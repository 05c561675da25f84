# ruff: noqa: F811  (the server fixture is imported from test_fetch and taken as an argument)
"""Attacks a feed server can make, each against a real loopback server; 127.0.0.2 stands for a private host."""

from __future__ import annotations

import gzip
from dataclasses import replace
from pathlib import Path

import pytest

from digest.sources import gather
from digest.sources.guard import DestinationPolicy

from .test_fetch import FAST, NOW, Reply, Server, config, server  # noqa: F401  (the fixture)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1",
     "240.0.0.1", "::1", "::", "fe80::1", "fc00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254"],
)  # fmt: skip
def test_private_reserved_and_multicast_addresses_are_refused(address: str) -> None:
    assert not DestinationPolicy().allows(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert DestinationPolicy().allows(address)


def test_allow_networks_opens_only_the_networks_named() -> None:
    policy = DestinationPolicy.from_strings(["10.0.0.0/8"])
    assert policy.allows("10.9.8.7") and not policy.allows("192.168.0.1")


def test_a_feed_on_a_host_the_config_does_not_allow_is_one_problem_naming_the_key(server: Server) -> None:
    private = server.serve("/feed.xml", Reply()).replace("127.0.0.1", "127.0.0.2")
    allowed = server.serve("/ok.xml", Reply())
    gathered = gather(config(private, allowed), now=NOW)
    [problem] = gathered.problems
    assert problem.source == private
    assert "127.0.0.2" in problem.message and "fetch.allow_networks" in problem.hint
    assert len(gathered.articles) == 1
    assert not any(path == "/feed.xml" for path, _ in server.seen)


def test_a_redirect_to_a_refused_address_is_refused_at_that_hop(server: Server) -> None:
    target = server.url("/secret.xml").replace("127.0.0.1", "127.0.0.2")
    server.serve("/secret.xml", Reply())
    url = server.serve("/feed.xml", Reply(302, b"", {"Location": target}))
    [problem] = gather(config(url), now=NOW).problems
    assert "127.0.0.2" in problem.message
    assert [path for path, _ in server.seen] == ["/feed.xml"]


def test_a_body_naming_a_local_file_is_never_opened(server: Server, tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_bytes(Reply().body.replace(b"First", b"LEAKED"))
    url = server.serve("/feed.xml", Reply(body=str(secret).encode()))
    gathered = gather(config(url), now=NOW)
    assert gathered.articles == () and len(gathered.problems) == 1


def test_a_gzip_bomb_stops_at_the_cap(server: Server) -> None:
    bomb = gzip.compress(b"\0" * 50_000_000)
    url = server.serve("/feed.xml", Reply(body=bomb, headers={"Content-Encoding": "gzip"}))
    settings = config(url, fetch=FAST)
    [problem] = gather(settings, now=NOW).problems
    assert "larger than" in problem.message


@pytest.mark.parametrize("encoding", ["gzip, gzip", "zstd", "compress"])
def test_stacked_or_unasked_encodings_are_refused(server: Server, encoding: str) -> None:
    url = server.serve("/feed.xml", Reply(body=b"\x28\xb5\x2f\xfd", headers={"Content-Encoding": encoding}))
    [problem] = gather(config(url), now=NOW).problems
    assert "Content-Encoding" in problem.message


def test_endless_redirects_stop_at_the_hop_limit(server: Server) -> None:
    for i in range(30):
        server.serve(f"/r{i}", Reply(302, b"", {"Location": f"/r{i + 1}"}))
    [problem] = gather(config(server.url("/r0")), now=NOW).problems
    assert "more than 10 redirects" in problem.message
    assert len(server.seen) == 11


def test_a_redirect_loop_between_two_hosts_stops(server: Server) -> None:
    other = server.url("/b").replace("127.0.0.1", "localhost")
    server.serve("/a", Reply(302, b"", {"Location": other}))
    server.serve("/b", Reply(302, b"", {"Location": server.url("/a")}))
    [problem] = gather(config(server.url("/a")), now=NOW).problems
    assert "redirects" in problem.message


def test_a_redirect_to_a_file_url_is_refused(server: Server) -> None:
    url = server.serve("/feed.xml", Reply(302, b"", {"Location": "file:///etc/passwd"}))
    [problem] = gather(config(url), now=NOW).problems
    assert "file" in problem.message and "http" in problem.hint


def test_a_huge_header_line_is_a_problem_not_a_hang(server: Server) -> None:
    url = server.serve("/feed.xml", Reply(headers={"X-Filler": "a" * 200_000}))
    [problem] = gather(config(url), now=NOW).problems
    assert problem.source == url


def test_an_external_entity_in_a_feed_reads_no_local_file(server: Server, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("LEAKED-SECRET")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<rss version='2.0'><channel><title>T</title><item><guid>1</guid><title>a &x; b</title>"
        "<description>&x;</description></item></channel></rss>"
    ).encode()
    [article] = gather(config(server.serve("/feed.xml", Reply(body=body))), now=NOW).articles
    assert article.title == "a b" and "LEAKED" not in article.text + article.summary_html


def test_a_full_text_page_on_a_refused_host_keeps_the_teaser_and_says_why(server: Server) -> None:
    page = server.url("/page.html").replace("127.0.0.1", "127.0.0.2")
    body = Reply().body.replace(b"http://127.0.0.1/a", page.encode())
    url = server.serve("/feed.xml", Reply(body=body))
    gathered = gather(config(url, full_text=True), now=NOW)
    assert gathered.articles == gather(config(url), now=NOW).articles  # the teaser, as without full_text
    [problem] = gathered.problems
    assert problem.source == page and "127.0.0.2" in problem.message and "allow_networks" in problem.hint


def test_a_host_name_is_judged_by_the_address_it_resolves_to_when_connecting(server: Server) -> None:
    url = server.serve("/feed.xml", Reply()).replace("127.0.0.1", "localhost")
    only_elsewhere = replace(config(url), fetch=replace(FAST, allow_networks=("127.0.0.2/32",)))
    [problem] = gather(only_elsewhere, now=NOW).problems
    assert "localhost resolves to 127.0.0.1" in problem.message or "localhost resolves to ::1" in problem.message
    assert server.seen == []
