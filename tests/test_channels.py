"""Channel posts through Apprise, to real webhook servers on loopback: sized, recorded, retried, never twice."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from digest import Pipeline, Services
from digest.channels import FALLBACK_LIMIT, Post, body_limit, post, refused, render_post
from digest.config import ChannelConfig, Config
from digest.errors import ConfigError
from digest.models import RunReport
from digest.render import environment
from digest.store import IssueRecord, SeenArticle, Store, StoredPost, open_store

from .conftest import FeedServer, LoopbackConfig, serving
from .digests import article, make_digest

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@dataclass
class Hook:
    """A webhook server's view: what it received, and how it answers the next request."""

    port: int = 0
    host: str = "127.0.0.1"
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, scheme: str, path: str) -> str:
        return f"{scheme}://{self.host}:{self.port}/{path}"

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [body for where, body in self.received if where.rstrip("/").endswith(path)]


def _handler(hook: Hook) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            time.sleep(hook.delay)
            with hook.lock:
                hook.received.append((self.path, json.loads(data)))
            self.send_response(hook.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    return Handler


def _hook(host: str = "127.0.0.1") -> Iterator[Hook]:
    hook = Hook(host=host)

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a client that gave up (the timeout test) is expected

    httpd = Server((host, 0), _handler(hook))
    hook.port = httpd.server_address[1]
    with serving(httpd):
        yield hook


@pytest.fixture
def hook() -> Iterator[Hook]:
    """A webhook server on 127.0.0.1 that records each JSON body it is posted."""
    yield from _hook()


def _week(server: FeedServer, hook: Hook, **tables: Any) -> dict[str, Any]:
    """The example feeds to one reader through the outbox folder, posted to a JSON and a Mattermost-shaped channel."""
    return {
        "digest": {"title": "Channel Weekly"},
        "sources": [{"opml": server.url("subscriptions.opml")}],
        "site": {"base_url": "https://news.example.org/"},
        "channels": [
            {"url_env": "DIGEST_JSON_URL", "name": "team-json"},
            {"url_env": "DIGEST_CHAT_URL", "name": "team-chat", "top": 3},
        ],
        **tables,
    }


def _env(hook: Hook, *, timeout: str = "") -> dict[str, str]:
    return {
        "DIGEST_JSON_URL": hook.url("json", "json-hook") + timeout,
        "DIGEST_CHAT_URL": hook.url("mmost", "chat-token"),
    }


class Crash(BaseException):
    """A process dying at a stage: nothing after it runs, not even the run's own error handling."""


def _run(config: Config, env: dict[str, str], now: datetime = NOW, *, crash_at: str = "") -> RunReport:
    def stage(name: str) -> None:
        if name == crash_at:
            raise Crash(name)

    return Pipeline(config, Services(env=env, on_stage=stage)).run(now)


# The rendering: sized to the service by dropping whole headlines.


def _links(body: str) -> list[str]:
    """The destinations of the Markdown links in ``body`` (an escaped ``\\]`` opens none)."""
    return re.findall(r"(?<!\\)\]\(([^)\s]*)\)", body)


def test_a_post_over_the_service_limit_drops_whole_headlines_never_a_link() -> None:
    digest = make_digest(40)
    long = tuple(
        replace(s, stories=tuple(replace(t, label=t.label + " — " + "harbour dredging " * 12) for t in s.stories))
        for s in digest.sections
    )
    digest = replace(digest, sections=long)
    channel = ChannelConfig(url_env="X", top=40)
    env = environment()
    full = render_post(env, digest, channel=channel, title="T", issue_url="https://e.org/i/", limit=10**6)
    cut = render_post(env, digest, channel=channel, title="T", issue_url="https://e.org/i/", limit=4000)
    assert len(full.body) > 4000 >= len(cut.body)
    kept = _links(cut.body)
    assert 1 <= len(kept) < len(_links(full.body)) == 40
    assert kept == _links(full.body)[: len(kept)], "the first headlines stay, in order, each link whole"
    assert f"and {40 - len(kept)} more" in cut.body and cut.body.rstrip().endswith("<https://e.org/i/>")


def test_a_hostile_headline_cannot_ping_the_room_or_link_a_script() -> None:
    lead = article("x", url="javascript:alert(1)", title="x")
    digest = make_digest(1)
    story = replace(
        digest.stories[0], label="<!channel> <@U024BE7LH> [click](https://evil.example/) **now**", lead=lead
    )
    digest = replace(digest, sections=(replace(digest.sections[0], stories=(story,)),))
    body = render_post(
        environment(), digest, channel=ChannelConfig(url_env="X"), title="T", issue_url="", limit=FALLBACK_LIMIT
    ).body
    assert "<!channel>" not in body and "<@U024BE7LH>" not in body and "&lt;" not in body
    assert "javascript:" not in body and _links(body) == []
    assert "\\[click\\](https://evil.example/)" in body, "the feed's Markdown is shown, not followed"


def test_each_service_limit_comes_from_apprise_and_a_merged_title_counts() -> None:
    assert body_limit("json://127.0.0.1:9/x", "Title") == 32768
    assert body_limit("discord://1234/abcd", "Title") == 2000
    # Mattermost has no title field: Apprise writes the title as the body's first line.
    assert body_limit("mmost://127.0.0.1:9/token", "Title") == 4000 - len("Title") - 2
    assert body_limit("", "Title") == body_limit("nosuchservice://x", "Title") == FALLBACK_LIMIT


def test_a_channel_address_outside_the_fetch_policy_is_refused() -> None:
    assert "not public" in refused("json://169.254.169.254/latest", ())
    assert "not public" in refused("json://localhost:8080/", ())
    assert "not public" in refused("json://[::ffff:169.254.169.254]/latest", ()), "an IPv6 form of the same address"
    assert refused("json://127.0.0.1:8080/", ["127.0.0.1/32"]) == ""
    assert refused("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", ()) == ""


def test_a_refused_address_is_never_contacted() -> None:
    for hook in _hook("127.0.0.2"):
        result = post(hook.url("json", "x"), Post("c", "T", "body"), allow_networks=["127.0.0.1/32"])
        assert not result.accepted and "127.0.0.2" in result.reason and "fetch.allow_networks" in result.reason
        assert hook.received == []


def test_a_failure_reason_never_shows_the_secret_in_the_url(hook: Hook) -> None:
    hook.status = 500
    url = hook.url("json", "s3cr3t-t0ken-path")
    result = post(url, Post("c", "T", "body"), allow_networks=["127.0.0.1/32"])
    assert not result.accepted and result.reason and "s3cr3t" not in result.reason


# The config.


def test_channel_tables_are_checked(loopback_config: LoopbackConfig) -> None:
    with pytest.raises(ConfigError, match="environment variable") as bad:
        loopback_config(channels=[{"url_env": "https://hooks.slack.com/services/T/B/X"}])
    assert bad.value.key == "channels[0].url_env"
    with pytest.raises(ConfigError, match="between 1 and 50"):
        loopback_config(channels=[{"url_env": "A", "top": 0}])
    with pytest.raises(ConfigError, match="two channels named 'team'"):
        loopback_config(channels=[{"url_env": "A", "name": "team"}, {"url_env": "B", "name": "team"}])
    with pytest.raises(ConfigError, match="must be at least 1"):
        loopback_config(digest={"approval_days": 0})


def test_channels_without_apprise_installed_are_a_config_error(
    loopback_config: LoopbackConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "apprise" else real(name, *a))
    with pytest.raises(ConfigError, match="apprise") as missing:
        loopback_config(channels=[{"url_env": "A"}])
    assert "pip install 'digest-news[channels]'" in str(missing.value)


# Runs: posted once per channel, recorded, retried by the next run.


def test_a_run_posts_each_channel_once_and_a_rerun_posts_nothing(
    feed_server: FeedServer, hook: Hook, loopback_config: LoopbackConfig
) -> None:
    config = loopback_config(**_week(feed_server, hook))
    report = _run(config, _env(hook))
    assert report.status == "sent" and set(report.posted) == {"team-json", "team-chat"}
    (plain,) = hook.bodies("json-hook")
    (chat,) = hook.bodies("chat-token")
    assert plain["title"] == "Channel Weekly: 2026-W48"
    assert "<https://news.example.org/issues/2026-W48/>" in plain["message"]
    assert len(_links(chat["text"])) == 3 and len(_links(plain["message"])) == min(report.stories, 10)
    again = _run(config, _env(hook), NOW.replace(day=30))
    assert again.posted == () and len(hook.received) == 2
    written = json.loads((config.resolve("out") / "report.json").read_text())
    assert written["posted"] == []


def test_a_channel_answering_500_is_retried_by_the_next_run_alone(
    feed_server: FeedServer, hook: Hook, loopback_config: LoopbackConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    config = loopback_config(**_week(feed_server, hook))
    hook.status = 500
    failed = _run(config, _env(hook))
    assert failed.status == "partial" and failed.posted == () and failed.delivered_to == ("ann@example.org",)
    assert any(p.source == "channel team-json" and "next run" in p.hint for p in failed.problems)
    with open_store(config.resolve("state.db")) as store:
        assert [e.issue.id for e in store.scoped("channel-weekly").outbox.pending()] == ["2026-W48"]
        waiting = store.scoped("channel-weekly").status().posts
    assert {p.channel for p in waiting} == {"team-json", "team-chat"} and all(p.detail for p in waiting)
    hook.status = 200
    hook.received.clear()
    done = _run(config, _env(hook), NOW.replace(hour=10))
    assert done.status == "sent" and done.resent == ("2026-W48",) and set(done.posted) == {"team-json", "team-chat"}
    assert done.delivered_to == () and len(hook.received) == 2, "the email is not sent again, each channel once"


@pytest.mark.slow
def test_a_channel_that_times_out_is_a_failure_not_a_hang(
    feed_server: FeedServer, hook: Hook, loopback_config: LoopbackConfig
) -> None:
    config = loopback_config(**_week(feed_server, hook, channels=[{"url_env": "DIGEST_JSON_URL"}]))
    hook.delay = 3.0
    started = time.monotonic()
    report = _run(config, _env(hook, timeout="?rto=0.5"))
    assert time.monotonic() - started < 20
    assert report.status == "partial" and report.posted == ()
    (problem,) = [p for p in report.problems if p.source.startswith("channel")]
    # Apprise reports a read timeout as a connection error (the detail it logs only at debug level).
    assert "connection error" in problem.message.lower() and problem.hint == "the next run retries"


def test_a_crash_between_post_and_record_posts_again_once_and_only_then(
    feed_server: FeedServer, hook: Hook, loopback_config: LoopbackConfig
) -> None:
    config = loopback_config(**_week(feed_server, hook, channels=[{"url_env": "DIGEST_JSON_URL"}]))
    with pytest.raises(Crash):
        _run(config, _env(hook), crash_at="posted")
    assert len(hook.received) == 1
    # The service took it, the store never heard: the one window where a post goes out twice.
    resumed = _run(config, _env(hook), NOW.replace(hour=10))
    assert resumed.status == "sent" and resumed.posted == ("digest_json_url",)
    assert len(hook.received) == 2 and hook.received[0] == hook.received[1]
    later = _run(config, _env(hook), NOW.replace(hour=11))
    assert later.posted == () and len(hook.received) == 2


def test_a_crash_before_the_post_posts_exactly_once(
    feed_server: FeedServer, hook: Hook, loopback_config: LoopbackConfig
) -> None:
    config = loopback_config(**_week(feed_server, hook, channels=[{"url_env": "DIGEST_JSON_URL"}]))
    with pytest.raises(Crash):
        _run(config, _env(hook), crash_at="post")
    assert hook.received == []
    assert _run(config, _env(hook), NOW.replace(hour=10)).posted == ("digest_json_url",)
    assert _run(config, _env(hook), NOW.replace(hour=11)).posted == ()
    assert len(hook.received) == 1


def test_an_unset_url_variable_stops_the_run_first_and_a_removed_channel_unblocks(
    feed_server: FeedServer, hook: Hook, loopback_config: LoopbackConfig
) -> None:
    config = loopback_config(**_week(feed_server, hook, channels=[{"url_env": "DIGEST_JSON_URL"}]))
    with pytest.raises(ConfigError, match="DIGEST_JSON_URL is not set") as unset:
        _run(config, {})
    assert unset.value.key == "channels[0].url_env" and hook.received == []
    hook.status = 500
    assert _run(config, _env(hook)).status == "partial"
    dropped = loopback_config(**_week(feed_server, hook, channels=[]))
    done = _run(dropped, {}, NOW.replace(hour=10))
    assert done.status == "sent" and done.completed == ("2026-W48",) and len(hook.received) == 1


def test_the_exit_code_of_a_failed_post_is_2(
    feed_server: FeedServer, hook: Hook, loopback_config: LoopbackConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digest.cli import main

    path = loopback_config.write(**_week(feed_server, hook, channels=[{"url_env": "DIGEST_JSON_URL"}]))
    hook.status = 500
    monkeypatch.setenv("DIGEST_JSON_URL", hook.url("json", "x"))
    assert main(["run", "--config", str(path), "--now", NOW.isoformat()]) == 2
    hook.status = 200
    assert main(["run", "--config", str(path), "--now", NOW.replace(hour=10).isoformat()]) == 0
    assert len(hook.received) == 2


# The store: posts and held issues on each backend.


def test_posts_and_held_issues_are_kept_per_digest_on_each_backend(store: Store) -> None:
    issue = IssueRecord("2026-W48", "Weekly", NOW, NOW, "<p>body</p>")
    mine, other = store.scoped("weekly"), store.scoped("other")
    with mine.transaction():
        mine.outbox.save_pending(issue, message=b"m", articles=(SeenArticle("a1"),), recipients=("ann@x.org",), at=NOW)
        mine.channels.save(
            [StoredPost("2026-W48", "team", "T", "body"), StoredPost("2026-W48", "chat", "T", "b")], at=NOW
        )
        mine.approval.hold("2026-W48")
    assert [h.id for h in mine.approval.held()] == ["2026-W48"] and mine.outbox.pending() == ()
    assert other.approval.held() == () and other.channels.waiting() == ()
    with mine.transaction():
        # Stored again (a second save), a post keeps its state: a sent post is never pending again.
        mine.channels.record("2026-W48", "team", state="sent", at=NOW)
        mine.channels.save([StoredPost("2026-W48", "team", "T", "changed")], at=NOW)
    assert [(p.channel, p.state, p.body) for p in mine.channels.posts("2026-W48")] == [
        ("chat", "pending", "b"),
        ("team", "sent", "body"),
    ]
    with mine.transaction():
        assert mine.approval.approve("2026-W48") and not mine.approval.approve("2026-W48")
    assert [e.issue.id for e in mine.outbox.pending()] == ["2026-W48"] and mine.approval.held() == ()
    with pytest.raises(ValueError):
        mine.channels.record("2026-W48", "team", state="posted", at=NOW)
