"""Stage 5: label each story and summarize it from its own sentences.

The default summary is extractive (:mod:`.extractive`): the story's most central sentences, each
citing the article it came from, so every sentence a reader sees is one a source actually wrote.
With ``summary.backend = "llm"`` an OpenAI-compatible model writes the summary instead
(:mod:`.llm`); any answer that fails the grounding check, and any failure of the endpoint, leaves
the story with its extractive summary and adds a problem to the run report.

This stage reads the LLM answer cache through ``cached`` but never writes it: the answers it
fetched come back in :attr:`Summaries.responses` for the run to store with its other writes, so
a preview or a dry run leaves the state store untouched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import httpx

from ..config import SummaryConfig
from ..models import CachedResponse, Problem, Story
from .brief import BriefResult, extractive_brief, week_brief
from .extractive import summarize_stories
from .label import clean_title, keyphrases, story_label
from .llm import PROMPT_VERSION, CacheLookup, LlmResult, llm_summarize, prompt, prompt_hash
from .sentences import split_sentences

__all__ = [
    "PROMPT_VERSION",
    "BriefResult",
    "Summaries",
    "clean_title",
    "extractive_brief",
    "llm_pass",
    "split_sentences",
    "summarize",
    "week_brief",
]


@dataclass(frozen=True, slots=True)
class Summaries:
    """The summarized stories, what went wrong on the way, and new LLM answers to cache."""

    stories: tuple[Story, ...]
    problems: tuple[Problem, ...] = ()
    responses: tuple[CachedResponse, ...] = ()


def _no_cache(model: str, prompt_version: str, story_hash: str) -> str | None:
    return None


def summarize(
    stories: Iterable[Story],
    *,
    config: SummaryConfig,
    client: httpx.Client | None = None,
    env: Mapping[str, str] | None = None,
    cached: CacheLookup = _no_cache,
) -> Summaries:
    """Each story with a label, keyphrases and a summary; the LLM is asked only when configured."""
    stories = tuple(stories)
    phrases = keyphrases(stories, count=config.keyphrases)
    done = []
    for story, summary in zip(stories, summarize_stories(stories, params=config), strict=True):
        label = story_label(story, summary)
        done.append(replace(story, label=label, summary=summary, keyphrases=phrases.get(story.id, ())))
    if config.backend != "llm" or client is None:
        return Summaries(tuple(done))
    return llm_pass(done, config=config, client=client, env=env or {}, cached=cached)


def llm_pass(
    stories: Iterable[Story],
    *,
    config: SummaryConfig,
    client: httpx.Client | None,
    env: Mapping[str, str],
    cached: CacheLookup = _no_cache,
) -> Summaries:
    """``stories`` (already summarized) re-summarized by the LLM, ``summary.llm.concurrency`` at a time.

    The pipeline calls this after ranking, for the stories the digest shows only. Cached answers
    are looked up here, before any request, so ``cached`` (the state store) is only ever called
    from the calling thread. The first request is sent alone; once the endpoint fails (timeout,
    429, 5xx), requests not yet sent are not sent: those stories use cached answers only.
    """
    stories = list(stories)
    model = config.llm.model
    keys = [prompt_hash(prompt(story, config)) for story in stories]
    answers = {key: cached(model, PROMPT_VERSION, key) for key in dict.fromkeys(keys)}
    down = threading.Event()

    def one(story: Story) -> LlmResult:
        live = None if down.is_set() else client
        result = llm_summarize(story, config=config, client=live, env=env, cached=lambda m, v, h: answers.get(h))
        if result.unavailable:
            down.set()  # later stories use cached answers only, rather than each waiting to fail
        return result

    # The first request goes alone: an endpoint that is down then costs one timeout, not one per worker.
    results = [one(story) for story in stories[:1]]
    with ThreadPoolExecutor(max_workers=config.llm.concurrency, thread_name_prefix="llm") as pool:
        results.extend(pool.map(one, stories[1:]))
    problems = [r.problem for r in results if r.problem]
    skipped = sum(r.skipped for r in results)
    if skipped:
        problems.append(
            Problem("summary", f"LLM not asked for {skipped} more stories", "their summaries are extractive")
        )
    responses = tuple(r.response for r in results if r.response)
    return Summaries(tuple(r.story for r in results), tuple(problems), responses)
