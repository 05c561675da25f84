"""Proxies from the environment, through a real proxy server (proxy.py) on loopback.

The proxy is the user's own choice, so its address is never judged; the destination behind it is.
127.0.0.2 stands for the feed host the config allows, 127.0.0.3 for a private one it does not.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from digest.sources import gather

from .conftest import LoopbackConfig, free_port
from .test_fetch import NOW, Reply, Server, _serve

# A subprocess, a browser, a wheel build or a server: run by ./scripts/test and CI, left out by -m 'not slow'.
pytestmark = pytest.mark.slow


@dataclass
class Proxy:
    url: str
    log: Path

    def saw(self, target: str) -> bool:
        # proxy.py writes one access-log line per request once the upstream response is done.
        return any(target in line and "access_log" in line for line in self.log.read_text().splitlines())


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[Proxy]:
    port = free_port()
    log = tmp_path / "proxy.log"
    command = [sys.executable, "-m", "proxy", "--hostname", "127.0.0.1", "--port", str(port)]
    command += ["--num-workers", "1", "--num-acceptors", "1"]
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for(port, process)
        yield Proxy(f"http://127.0.0.1:{port}", log)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise RuntimeError("proxy.py exited at start")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("proxy.py did not start listening")


@pytest.fixture
def feed_host() -> Iterator[Server]:
    yield from _serve(host="127.0.0.2")


# The feed host is 127.0.0.2, the only network opened, so a request that reaches it went where it was sent.
FEED_HOST_ONLY = {"timeout": 5.0, "connect_timeout": 5.0, "retries": 0, "allow_networks": ["127.0.0.2/32"]}


def _feeds(*urls: str) -> list[dict[str, str]]:
    return [{"url": u} for u in urls]


def test_feeds_go_through_the_proxy_the_environment_names(
    proxy: Proxy, feed_host: Server, monkeypatch: pytest.MonkeyPatch, loopback_config: LoopbackConfig
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    url = feed_host.serve("/feed.xml", Reply())
    gathered = gather(loopback_config(sources=_feeds(url), fetch=FEED_HOST_ONLY), now=NOW)
    # The proxy listens on 127.0.0.1, which allow_networks does not name: a configured proxy is trusted.
    assert gathered.problems == () and len(gathered.articles) == 1
    assert _eventually(lambda: proxy.saw("127.0.0.2"))


def test_through_the_proxy_a_refused_destination_is_still_refused(
    proxy: Proxy, monkeypatch: pytest.MonkeyPatch, loopback_config: LoopbackConfig
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    private = f"http://127.0.0.3:{free_port()}/feed.xml"
    [problem] = gather(loopback_config(sources=_feeds(private), fetch=FEED_HOST_ONLY), now=NOW).problems
    assert problem.source == private
    assert "127.0.0.3" in problem.message and "fetch.allow_networks" in problem.hint
    assert not proxy.saw("127.0.0.3")


def test_no_proxy_hosts_are_reached_directly(
    feed_host: Server, monkeypatch: pytest.MonkeyPatch, loopback_config: LoopbackConfig
) -> None:
    # The proxy named is a closed port: the fetch can only succeed by going around it.
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.2")
    url = feed_host.serve("/feed.xml", Reply())
    gathered = gather(loopback_config(sources=_feeds(url), fetch=FEED_HOST_ONLY), now=NOW)
    assert gathered.problems == () and len(gathered.articles) == 1


def test_a_proxy_that_is_down_is_a_problem_naming_the_feed(
    monkeypatch: pytest.MonkeyPatch, loopback_config: LoopbackConfig
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")
    url = "http://127.0.0.2:9/feed.xml"
    [problem] = gather(loopback_config(sources=_feeds(url), fetch=FEED_HOST_ONLY), now=NOW).problems
    assert problem.source == url


def _eventually(check: Callable[[], bool]) -> bool:
    for _ in range(100):
        if check():
            return True
        time.sleep(0.05)
    return False
