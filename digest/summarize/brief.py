"""The week in brief: a few sentences above the sections on the week's top stories, each citing its stories.

Without a model it is extractive: the lead sentence of each of the three top-scored stories (the first
sentence of its summary, which a source wrote), citing that story. With ``summary.backend = "llm"`` the
model gets the five top stories, numbered, with their summaries, and writes three to five sentences in
JSON, each naming the stories it draws on. The answer goes through the grounding check of story summaries
(:func:`~.llm.grounding_failure`: each sentence shares ``min_overlap`` of its content words with the stories
it cites, every quotation is verbatim in them) and is cached the same way, under a prompt version of its
own; an answer that fails, and any failure of the endpoint, leaves the extractive brief and a problem.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import httpx

from ..config import SummaryConfig
from ..errors import SummaryError
from ..models import Article, Brief, BriefSentence, CachedResponse, Problem, Story, SummarySentence
from .llm import _FENCE, CacheLookup, _complete, grounding_failure, prompt_hash
from .sentences import split_sentences

__all__ = ["BRIEF_PROMPT_VERSION", "BriefResult", "extractive_brief", "llm_brief", "top_stories", "week_brief"]

# Bump when the prompt or the answer format changes; apart from the story summaries' version.
BRIEF_PROMPT_VERSION = "brief-1"
# Stories the model is told of, and the sentences it may write.
_LLM_STORIES = 5
_MAX_SENTENCES = 5
_EXTRACTIVE_STORIES = 3
# Characters of each story the prompt gives: its headline, summary and the start of its lead article.
_STORY_CHARS = 1_500

_SYSTEM = (
    "You write 'the week in brief' for a weekly news digest: three to five sentences on the most important "
    "of the numbered stories given. Use only facts the stories state; add no facts, opinions or quotations "
    "of your own. Quote only words that appear verbatim in a story. Answer with JSON only, in this form: "
    '{"sentences": [{"text": "…", "source": [1]}]}, where source lists the numbers of the stories the '
    "sentence is based on."
)


@dataclass(frozen=True, slots=True)
class BriefResult:
    """The brief, what went wrong on the way to the model's, and its answer to cache."""

    brief: Brief
    problem: Problem | None = None
    response: CachedResponse | None = None


def top_stories(stories: Sequence[Story], count: int) -> list[int]:
    """Indices of the ``count`` highest-scored stories, best first (reading order breaks ties)."""
    return sorted(range(len(stories)), key=lambda n: (-stories[n].score, n))[:count]


def extractive_brief(stories: Sequence[Story], count: int = _EXTRACTIVE_STORIES) -> Brief:
    """The lead sentence of each of the top ``count`` stories, each citing its story."""
    sentences = []
    for n in top_stories(stories, count):
        lead = _lead_sentence(stories[n])
        if lead:
            sentences.append(BriefSentence(lead, (n,)))
    return Brief(tuple(sentences), "extractive")


def _lead_sentence(story: Story) -> str:
    if story.summary:
        return story.summary[0].text
    found = split_sentences(story.lead.text[:2_000], story.lead.language or "en") if story.lead.text else []
    return found[0] if found else ""


def week_brief(
    stories: Sequence[Story],
    *,
    config: SummaryConfig,
    client: httpx.Client | None,
    env: Mapping[str, str],
    cached: CacheLookup,
) -> BriefResult:
    """The brief for ``stories`` (the digest's, in reading order): the model's when configured and grounded."""
    if config.backend != "llm" or not stories:
        return BriefResult(extractive_brief(stories))
    return llm_brief(stories, config=config, client=client, env=env, cached=cached)


def llm_brief(
    stories: Sequence[Story],
    *,
    config: SummaryConfig,
    client: httpx.Client | None,
    env: Mapping[str, str],
    cached: CacheLookup,
) -> BriefResult:
    """The model's brief of the top stories, or the extractive one with a problem saying why."""
    chosen = top_stories(stories, _LLM_STORIES)
    texts = [_story_text(stories[n]) for n in chosen]
    messages = _prompt(texts)
    key = prompt_hash(messages)
    model = config.llm.model
    answer = cached(model, BRIEF_PROMPT_VERSION, key)
    fetched, fresh = answer is None, None
    try:
        if answer is None:
            if client is None:
                raise SummaryError("the LLM is not reachable this run", hint="the extractive brief is used instead")
            answer = _complete(messages, config.llm, client=client, env=env)
        brief = _parse(answer, chosen)
        if fetched:  # a well-formed answer is kept even if rejected below: asking again gives the same
            fresh = CachedResponse(model, BRIEF_PROMPT_VERSION, key, answer)
        _check_grounding(brief, chosen, texts, stories, min_overlap=config.llm.min_overlap)
    except SummaryError as exc:
        problem = Problem("brief", f"LLM brief not used: {exc.message}", exc.hint or "the extractive brief is used")
        return BriefResult(extractive_brief(stories), problem, fresh)
    return BriefResult(brief, None, fresh)


def _story_text(story: Story) -> str:
    summary = " ".join(s.text for s in story.summary)
    text = f"{story.label} ({story.lead.source})\n{summary}\n{story.lead.text}"
    return text[:_STORY_CHARS]


def _prompt(texts: Sequence[str]) -> list[dict[str, str]]:
    parts = ["Write the week in brief: three to five sentences."]
    parts += [f"[{number}] {text}" for number, text in enumerate(texts, 1)]
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": "\n\n".join(parts)}]


def _parse(answer: str, chosen: Sequence[int]) -> Brief:
    """The model's sentences, each citing the digest's indices of the stories it names."""
    try:
        items = json.loads(_FENCE.sub("", answer))["sentences"]
        pairs = [(item["text"], item["source"]) for item in items]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SummaryError("malformed answer: not the JSON asked for") from exc
    sentences = []
    for text, source in pairs[:_MAX_SENTENCES]:  # a model that says more than asked is cut
        numbers = source if isinstance(source, list) else [source]
        if not isinstance(text, str) or not text.strip():
            raise SummaryError("malformed answer: an empty sentence")
        if not numbers or not all(isinstance(x, int) and 1 <= x <= len(chosen) for x in numbers):
            raise SummaryError(f"a sentence cites no given story ({source!r})")
        cited = tuple(dict.fromkeys(chosen[x - 1] for x in numbers))
        sentences.append(BriefSentence(" ".join(text.split()), cited))
    if not sentences:
        raise SummaryError("malformed answer: no sentences")
    return Brief(tuple(sentences), "llm")


def _check_grounding(
    brief: Brief, chosen: Sequence[int], texts: Sequence[str], stories: Sequence[Story], *, min_overlap: float
) -> None:
    """Each sentence against the stories it cites, as :func:`grounding_failure` checks a story summary."""
    text_of = dict(zip(chosen, texts, strict=True))
    for number, sentence in enumerate(brief.sentences, 1):
        lead = stories[sentence.stories[0]].lead
        cited = Article(
            id="cited",
            title="",
            url="",
            source="",
            published=lead.published,
            text="\n".join(text_of[n] for n in sentence.stories),
            language=lead.language,
        )
        pseudo = Story(id="brief", label="", lead=cited, articles=(cited,))
        failure = grounding_failure("", [SummarySentence(sentence.text, "cited")], pseudo, min_overlap=min_overlap)
        if failure:
            words = failure.replace("sentence 1 ", f"sentence {number} ").replace("the article it", "the stories it")
            raise SummaryError(words.replace("any article", "any story it cites"))
