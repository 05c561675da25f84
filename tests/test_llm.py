"""The LLM summarizer against a loopback server that speaks the chat-completions API."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from digest import Pipeline, Services, load_config
from digest.config import LlmConfig, SummaryConfig
from digest.models import Story
from digest.store import open_store
from digest.summarize import summarize
from digest.summarize.llm import grounding_failure, parse_answer

from .conftest import EXAMPLES, serving, write_config
from .test_e2e import NOW
from .test_summarize import FERRY, FERRY_2, article, story


@dataclass
class FakeApi:
    """What the fake endpoint answers: ``echo`` builds a grounded answer from the prompt."""

    port: int = 0
    mode: str = "echo"
    content: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    # Set: each request after the first (which the client sends alone) waits until this many are in
    # flight together, which proves they run in parallel.
    together: threading.Barrier | None = None
    in_flight: int = 0
    peak: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


def _echo(messages: list[dict[str, str]]) -> str:
    """A faithful answer: the first article's title and its first sentence, cited."""
    first = messages[-1]["content"].split("\n\n[1] ", 1)[1]
    title = re.sub(r" \([^)]*\)\n.*", "", first, flags=re.S)
    body = first.split("\n", 1)[1]
    sentence = re.split(r"(?<=[.!?])\s", body, maxsplit=1)[0]
    return json.dumps({"headline": title, "sentences": [{"text": sentence, "source": 1}]})


class _Handler(BaseHTTPRequestHandler):
    api: FakeApi

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.api.requests.append(body)
        self.api.headers.append(dict(self.headers))
        mode = self.api.mode
        with self.api.lock:
            self.api.in_flight += 1
            self.api.peak = max(self.api.peak, self.api.in_flight)
        try:
            if self.api.together is not None and len(self.api.requests) > 1:
                self.api.together.wait()
            self._answer(body, mode)
        finally:
            with self.api.lock:
                self.api.in_flight -= 1

    def _answer(self, body: dict[str, Any], mode: str) -> None:
        if mode == "slow":
            time.sleep(1.0)
        if mode in ("429", "503"):
            return self._send(int(mode), b'{"error": {"message": "busy"}}')
        if mode == "garbage":
            return self._send(200, b"<html>this is not JSON</html>")
        content = _echo(body["messages"]) if mode == "echo" else self.api.content
        reply = {"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": {"content": content}}]}
        self._send(200, json.dumps(reply).encode())

    def _send(self, status: int, payload: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client gave up (timeout test)


@pytest.fixture
def api() -> Iterator[FakeApi]:
    state = FakeApi()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Handler,), {"api": state}))
    state.port = httpd.server_address[1]
    with serving(httpd):
        yield state


def _config(api: FakeApi, **llm: Any) -> SummaryConfig:
    settings = {"base_url": api.base_url, "model": "test-model", "timeout": 5.0, **llm}
    return SummaryConfig(sentences=2, backend="llm", llm=LlmConfig(**settings))


def _summarize(api: FakeApi, stories: list[Story], **llm: Any) -> Any:
    with httpx.Client() as client:
        return summarize(stories, config=_config(api, **llm), client=client, env={"KEY": "sk-test"})


def test_success_uses_the_models_summary_and_headline(api: FakeApi) -> None:
    result = _summarize(api, [story(FERRY, FERRY_2)], api_key_env="KEY")
    done = result.stories[0]
    assert result.problems == ()
    assert done.label == "Harbor ferry goes electric"
    assert [(s.text, s.article_id) for s in done.summary] == [
        ("The harbor ferry will run every ten minutes from March, the transit authority said on Monday.", "ferry")
    ]
    assert api.headers[0]["Authorization"] == "Bearer sk-test"
    assert api.requests[0]["model"] == "test-model" and api.requests[0]["temperature"] == 0
    assert len(result.responses) == 1 and result.responses[0].model == "test-model"


@pytest.mark.parametrize(
    ("mode", "llm", "says"),
    [
        ("slow", {"timeout": 0.2}, "no answer"),
        ("429", {}, "HTTP 429"),
        ("503", {}, "HTTP 503"),
        ("garbage", {}, "malformed answer"),
    ],
)
def test_failures_fall_back_to_the_extractive_summary(api: FakeApi, mode: str, llm: dict[str, Any], says: str) -> None:
    api.mode = mode
    extractive = summarize([story(FERRY), story(FERRY_2)], config=SummaryConfig(sentences=2))
    result = _summarize(api, [story(FERRY), story(FERRY_2)], **llm)
    assert result.stories == extractive.stories
    assert says in result.problems[0].message and result.problems[0].hint
    assert result.responses == ()
    if mode != "garbage":  # the endpoint is down: the second story does not wait for it too
        assert len(api.requests) == 1
        assert "not asked for 1 more" in result.problems[-1].message


def test_missing_api_key_asks_nothing(api: FakeApi) -> None:
    result = _summarize(api, [story(FERRY)], api_key_env="UNSET_KEY")
    assert api.requests == []
    assert "UNSET_KEY" in result.problems[0].message


def test_an_invented_quote_is_rejected(api: FakeApi) -> None:
    api.mode = "fixed"
    api.content = json.dumps(
        {
            "headline": "Ferry goes electric",
            "sentences": [
                {
                    "text": 'The transit authority said the harbor ferry will run "every five minutes from March".',
                    "source": 1,
                }
            ],
        }
    )
    result = _summarize(api, [story(FERRY)])
    assert "quotation is not in any article" in result.problems[0].message
    assert result.stories[0].summary == summarize([story(FERRY)], config=SummaryConfig()).stories[0].summary
    assert len(result.responses) == 1, "a well-formed answer is cached even when rejected: a re-run is free"


def test_grounding_accepts_verbatim_quotes_and_rejects_unsupported_sentences() -> None:
    quoted = article("q", "The mayor said: “We will ride the ferry every day.” The boats arrive in March.")
    headline, sentences = parse_answer(
        '```json\n{"headline": "Mayor rides", "sentences": [{"text": "The mayor said \\"We will ride the ferry '
        'every day.\\"", "source": 1}]}\n```',
        story(quoted),
    )
    assert grounding_failure(headline, sentences, story(quoted), min_overlap=0.7) is None
    _, invented = parse_answer(
        '{"headline": "", "sentences": [{"text": "Volcanic ash grounded every airline in Europe.", "source": 1}]}',
        story(quoted),
    )
    failure = grounding_failure("", invented, story(quoted), min_overlap=0.7)
    assert failure is not None and "not supported" in failure


def test_cache_hit_on_rerun_asks_the_endpoint_nothing(api: FakeApi, tmp_path: Path) -> None:
    stories = [story(FERRY), story(FERRY_2)]
    with httpx.Client() as client, open_store(tmp_path / "state.db") as store:
        first = summarize(stories, config=_config(api), client=client, env={}, cached=store.memory.cached_response)
        with store.transaction():
            store.memory.save_responses(first.responses, at=NOW)
        again = summarize(stories, config=_config(api), client=client, env={}, cached=store.memory.cached_response)
        other_model = summarize(
            stories, config=_config(api, model="other"), client=client, env={}, cached=store.memory.cached_response
        )
    assert len(api.requests) == 4, "two stories, then nothing, then two again for another model"
    assert again.stories == first.stories and again.responses == ()
    assert other_model.responses and store_count(tmp_path) == 2


def store_count(tmp_path: Path) -> int:
    with open_store(tmp_path / "state.db") as store:
        return store.count("llm_cache")


def test_preview_writes_no_cache_and_a_run_does(api: FakeApi, tmp_path: Path) -> None:
    body = (EXAMPLES / "digest.toml").read_text(encoding="utf-8")
    body = body.replace('opml = "subscriptions.opml"', f'opml = "{EXAMPLES / "subscriptions.opml"}"')
    body = body.replace('folder = "saved"', f'folder = "{EXAMPLES / "saved"}"')
    body = body.replace(
        "[summary]\nsentences = 2\n",
        f'[summary]\nsentences = 2\nbackend = "llm"\n\n[summary.llm]\nbase_url = "{api.base_url}"\nmodel = "m"\n'
        'allow_networks = ["127.0.0.1/32"]\n',
    )
    config = load_config(write_config(tmp_path / "digest.toml", body))
    with open_store(tmp_path / "state" / "digest.db") as store:
        report = Pipeline(config, store=store).preview(tmp_path / "preview", NOW)
        assert store.count("llm_cache") == 0 and report.stories > 3
        asked = len(api.requests)
        assert asked == report.stories + 1, "one call per shown story, and one for the week in brief"
        report = Pipeline(config, Services(env={}), store=store).run(NOW)
        assert report.delivered_to and not [p for p in report.problems if p.source.startswith("summary")]
        assert store.count("llm_cache") == asked
    markdown = (tmp_path / "preview" / "digest.md").read_text(encoding="utf-8")
    assert "Why last week's aurora reached so far south" in markdown


def test_an_answer_that_is_not_the_json_asked_for_falls_back_uncached(api: FakeApi) -> None:
    api.mode = "fixed"
    api.content = "Sure! The ferry goes electric in March."
    result = _summarize(api, [story(FERRY), story(FERRY_2)])
    assert [p.message for p in result.problems] == [
        "LLM summary not used: malformed answer: not the JSON asked for"
    ] * 2
    assert result.responses == () and len(api.requests) == 2, "one bad answer does not stop asking for the others"


def _examples_config(api: FakeApi, tmp_path: Path, rank: str, llm: str = "", summary: str = "") -> Path:
    body = (EXAMPLES / "digest.toml").read_text(encoding="utf-8")
    body = body.replace('opml = "subscriptions.opml"', f'opml = "{EXAMPLES / "subscriptions.opml"}"')
    body = body.replace('folder = "saved"', f'folder = "{EXAMPLES / "saved"}"')
    body = body.replace(
        "[summary]\nsentences = 2\n",
        f'[summary]\nsentences = 2\nbackend = "llm"\n{summary}\n'
        f'[summary.llm]\nbase_url = "{api.base_url}"\nmodel = "m"\nallow_networks = ["127.0.0.1/32"]\n{llm}',
    )
    body += f"\n[rank]\n{rank}\n"
    return write_config(tmp_path / "digest.toml", body)


def test_only_the_stories_that_will_be_shown_are_summarized(api: FakeApi, tmp_path: Path) -> None:
    config = load_config(_examples_config(api, tmp_path, "max_stories = 3"))
    with open_store(tmp_path / "state" / "digest.db") as store:
        everything = Pipeline(config, store=store).preview(tmp_path / "all", NOW)
        assert everything.stories == 3
        assert len(api.requests) == 4, "one call per shown story and the brief, none for the stories ranking cut"
        shown = {r.label for r in everything.ranking}
        asked = {
            re.sub(r" \([^)]*\)\n.*", "", m["messages"][-1]["content"].split("\n\n[1] ", 1)[1], flags=re.S)
            for m in api.requests
        }
        assert asked == shown, "the shown stories carry the LLM's headlines"
        report = Pipeline(config, Services(env={}), store=store).run(NOW)
        assert report.delivered_to and store.count("llm_cache") == 4, "cached: one answer per shown story, one brief"
    assert len(api.requests) == 8, "a preview caches nothing, so the run asked for the same four again"


def test_calls_run_in_parallel_up_to_the_limit(api: FakeApi, tmp_path: Path) -> None:
    api.together = threading.Barrier(2, timeout=10)
    # No brief: its one call comes after the stories', alone, and would wait at the barrier for a partner.
    config = load_config(_examples_config(api, tmp_path, "max_stories = 5", "concurrency = 2\n", "brief = false\n"))
    with open_store(tmp_path / "state" / "digest.db") as store:
        report = Pipeline(config, store=store).preview(tmp_path / "out", NOW)
    # The first alone, then two pairs.
    assert report.stories == 5 and len(api.requests) == 5
    assert not [p for p in report.problems if p.source.startswith("summary")], "every pair met at the barrier"
    assert api.peak == 2
