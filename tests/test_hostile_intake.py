# ruff: noqa: F811  (fixtures are imported from test_fetch and test_proxy and taken as arguments)
"""One hostile input against the intake, beside an innocent one that must still be read.

Each class of attack found against real loopback servers is here with the attack itself: IPv6 forms
that carry a private IPv4 address, direct and through a real proxy; entity amplification; inputs
that keep a parser busy; patterns whose matching time grows with the square of the input; pages
that take the whole timeout one after another.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import httpx
import pytest

from digest.sources import gather
from digest.sources.client import GuardedSyncTransport
from digest.sources.guard import DestinationPolicy, Refused, embedded_ipv4

from .conftest import free_port
from .test_fetch import NOW, Reply, Server, config, server  # noqa: F401  (the fixture)
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
