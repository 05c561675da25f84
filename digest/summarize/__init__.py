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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import httpx

from ..config import SummaryConfig
from ..models import CachedResponse, Problem, Story
from .extractive import summarize_stories
from .label import clean_title, keyphrases, story_label
from .llm import PROMPT_VERSION, CacheLookup, llm_summarize
from .sentences import split_sentences

__all__ = ["PROMPT_VERSION", "Summaries", "clean_title", "split_sentences", "summarize"]


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
    return _with_llm(done, config=config, client=client, env=env or {}, cached=cached)


def _with_llm(
    stories: list[Story], *, config: SummaryConfig, client: httpx.Client, env: Mapping[str, str], cached: CacheLookup
) -> Summaries:
    out: list[Story] = []
    problems: list[Problem] = []
    responses: list[CachedResponse] = []
    live: httpx.Client | None = client
    skipped = 0
    for story in stories:
        result = llm_summarize(story, config=config, client=live, env=env, cached=cached)
        out.append(result.story)
        problems.extend([result.problem] if result.problem else [])
        responses.extend([result.response] if result.response else [])
        skipped += result.skipped
        if result.unavailable:
            live = None  # later stories use cached answers only, rather than each waiting to fail
    if skipped:
        problems.append(
            Problem("summary", f"LLM not asked for {skipped} more stories", "their summaries are extractive")
        )
    return Summaries(tuple(out), tuple(problems), tuple(responses))
