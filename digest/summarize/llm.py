"""Opt-in summaries from any OpenAI-compatible chat-completions endpoint, grounded or not used.

The model gets the story's articles, numbered, and answers in JSON: a headline and sentences that
each name the article they come from. Answers are cached by (model, prompt version, story hash),
so re-running a week asks nothing twice and gives the same digest. An answer is used only when it
passes the grounding check: every sentence shares at least ``min_overlap`` of its content words
with the article it cites, and every quotation ("…") appears verbatim in one of the articles.
Otherwise, and on timeouts, 429s, 5xx and malformed answers, the story keeps its extractive
summary and the run report says why.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import httpx

from ..config import LlmConfig, SummaryConfig
from ..errors import SummaryError
from ..models import CachedResponse, Problem, Story, SummarySentence
from ..sources.guard import Refused
from ..tokens import content_words
from .label import clean_title, outlet_names

__all__ = [
    "PROMPT_VERSION",
    "CacheLookup",
    "LlmResult",
    "grounding_failure",
    "llm_summarize",
    "parse_answer",
    "prompt",
    "prompt_hash",
]

# Bump when the prompt or the answer format changes: cached answers to the old prompt stop matching.
PROMPT_VERSION = "1"

CacheLookup = Callable[[str, str, str], str | None]
"""``(model, prompt_version, story_hash)`` → the cached answer, or ``None``."""

_SYSTEM = (
    "You write the summary of one news story for a weekly digest, from the numbered articles given. "
    "Use only facts the articles state; add no facts, opinions or quotations of your own. Quote only "
    "words that appear verbatim in an article. Answer with JSON only, in this form: "
    '{"headline": "…", "sentences": [{"text": "…", "source": 1}]}, where source is the number of the '
    "article the sentence is based on."
)
_QUOTE = re.compile(r'"([^"]{3,}?)"')
_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$")
_QUOTE_MARKS = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "‘": "'", "’": "'", "‚": "'"})
_RETRYABLE = frozenset([408, 429, 500, 502, 503, 504])
# Statuses that concern one request (the prompt), not the endpoint: other stories may still work.
_PER_REQUEST = frozenset([400, 413, 422])


@dataclass(frozen=True, slots=True)
class LlmResult:
    """A story with the LLM's summary, or unchanged with the reason it was not used."""

    story: Story
    problem: Problem | None = None
    response: CachedResponse | None = None
    # The endpoint is down or refusing: later stories should not wait for it too.
    unavailable: bool = False
    # No cached answer and no endpoint to ask (it failed earlier in the run).
    skipped: bool = False


def prompt(story: Story, config: SummaryConfig) -> list[dict[str, str]]:
    """The chat messages for ``story``: instructions, then the articles numbered from 1."""
    length = f"at most {config.words} words in all" if config.words > 0 else f"{config.sentences} sentences"
    parts = [f"Write a headline of at most 12 words and a summary of {length}."]
    budget = config.llm.max_input_chars
    for number, article in enumerate(story.articles, 1):
        if budget <= 0:
            break
        text = article.text[:budget]
        budget -= len(text)
        parts.append(f"[{number}] {article.title} ({article.source})\n{text}")
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": "\n\n".join(parts)}]


def llm_summarize(
    story: Story, *, config: SummaryConfig, client: httpx.Client | None, env: Mapping[str, str], cached: CacheLookup
) -> LlmResult:
    """``story`` summarized by the configured model, or left as it is with a problem saying why.

    Without a ``client`` only a cached answer is used.
    """
    llm = config.llm
    messages = prompt(story, config)
    story_hash = prompt_hash(messages)
    answer = cached(llm.model, PROMPT_VERSION, story_hash)
    fetched, fresh = answer is None, None
    try:
        if answer is None:
            if client is None:
                return LlmResult(story, skipped=True)
            answer = _complete(messages, llm, client=client, env=env)
        headline, sentences = parse_answer(answer, story)
        if fetched:  # a well-formed answer is kept even if rejected below: asking again gives the same
            fresh = CachedResponse(llm.model, PROMPT_VERSION, story_hash, answer)
        if config.words <= 0:
            sentences = sentences[: config.sentences]  # a model that says more than asked is cut, not trusted
        failure = grounding_failure(headline, sentences, story, min_overlap=llm.min_overlap)
        if failure:
            raise SummaryError(failure, story=story.label)
    except SummaryError as exc:
        hint = exc.hint or "the extractive summary is used instead"
        problem = Problem(f"summary: {story.label}", f"LLM summary not used: {exc.message}", hint)
        unavailable = exc.status is not None and exc.status not in _PER_REQUEST
        return LlmResult(story, problem, fresh, unavailable)
    label = clean_title(headline, outlet_names(story.lead)) if headline else story.label
    return LlmResult(replace(story, label=label, summary=sentences), None, fresh)


def prompt_hash(messages: list[dict[str, str]]) -> str:
    """The cache key of a prompt: the same story and settings always give the same key."""
    return hashlib.sha256(json.dumps(messages, sort_keys=True).encode("utf-8")).hexdigest()


def _complete(messages: list[dict[str, str]], llm: LlmConfig, *, client: httpx.Client, env: Mapping[str, str]) -> str:
    headers = {}
    if llm.api_key_env:
        key = env.get(llm.api_key_env, "")
        if not key:
            raise SummaryError(
                f"the environment variable {llm.api_key_env} is not set",
                status=401,
                hint="export it, or empty summary.llm.api_key_env for a local server",
            )
        headers["Authorization"] = f"Bearer {key}"
    url = llm.base_url.rstrip("/") + "/chat/completions"
    payload = {"model": llm.model, "messages": messages, "temperature": 0, "max_tokens": llm.max_tokens}
    try:
        reply = client.post(url, json=payload, headers=headers, timeout=llm.timeout)
    except httpx.TimeoutException as exc:
        raise SummaryError(
            f"no answer from {url} within {llm.timeout:g} s", status=408, hint="raise summary.llm.timeout"
        ) from exc
    except httpx.HTTPError as exc:
        raise SummaryError(f"cannot reach {url}: {exc}", status=503, hint="check summary.llm.base_url") from exc
    except Refused as exc:
        raise SummaryError(
            f"refused: {exc}, a private or reserved address",
            status=503,
            hint=f'if the endpoint is yours, allow it: summary.llm.allow_networks = ["{_network(exc.address)}"]',
        ) from exc
    if reply.status_code >= 400:
        hint = "try again later" if reply.status_code in _RETRYABLE else "check summary.llm.model and the API key"
        raise SummaryError(f"{url} answered HTTP {reply.status_code}", status=reply.status_code, hint=hint)
    try:
        content = reply.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise SummaryError(
            "malformed answer: not a chat completion", hint="is base_url an OpenAI-compatible endpoint?"
        ) from exc
    if not isinstance(content, str):
        raise SummaryError("malformed answer: the message has no text")
    return content


def _network(address: str) -> str:
    return f"{address}/128" if ":" in address else f"{address}/32"


def parse_answer(answer: str, story: Story) -> tuple[str, tuple[SummarySentence, ...]]:
    """The headline and cited sentences of a model's JSON answer; :class:`SummaryError` if malformed."""
    try:
        data = json.loads(_FENCE.sub("", answer))
        headline = data.get("headline") or ""
        items = data["sentences"]
        pairs = [(item["text"], item["source"]) for item in items]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SummaryError("malformed answer: not the JSON asked for", story=story.label) from exc
    sentences = []
    for text, source in pairs:
        if not isinstance(text, str) or not text.strip():
            raise SummaryError("malformed answer: an empty sentence", story=story.label)
        if not isinstance(source, int) or not 1 <= source <= len(story.articles):
            raise SummaryError(f"a sentence cites no given article ({source!r})", story=story.label)
        sentences.append(SummarySentence(" ".join(text.split()), story.articles[source - 1].id))
    if not sentences or not isinstance(headline, str):
        raise SummaryError("malformed answer: no sentences", story=story.label)
    return " ".join(headline.split()), tuple(sentences)


def grounding_failure(
    headline: str, sentences: Sequence[SummarySentence], story: Story, *, min_overlap: float
) -> str | None:
    """Why the summary is not supported by the story's articles, or ``None`` when it is."""
    texts = {a.id: _normalize(f"{a.title}\n{a.text}") for a in story.articles}
    languages = {a.id: a.language for a in story.articles}
    words = {article_id: _content_words(text, languages[article_id]) for article_id, text in texts.items()}
    for number, sentence in enumerate(sentences, 1):
        own = _content_words(_normalize(sentence.text), languages[sentence.article_id])
        overlap = len(own & words[sentence.article_id]) / len(own) if own else 1.0
        if overlap < min_overlap:
            return f"sentence {number} is not supported by the article it cites ({overlap:.0%} of its words)"
    for text in (headline, *(s.text for s in sentences)):
        for quote in _QUOTE.findall(_normalize(text)):
            if not any(quote.strip() in source for source in texts.values()):
                return f"a quotation is not in any article: “{quote.strip()}”"
    return None


def _normalize(text: str) -> str:
    return " ".join(text.translate(_QUOTE_MARKS).split())


def _content_words(text: str, language: str) -> set[str]:
    # The stop words of the cited article's language: a German sentence is not "supported" by its articles
    # only because both say "der", "die" and "und".
    return set(content_words(text, language))
