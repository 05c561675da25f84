"""Every setting of the config file, with its default, as frozen dataclasses (one per TOML table).

This module holds [digest], [[sources]], [fetch] and :class:`Config`, and names every table; the
tables of the story stages are in :mod:`.stories`, those of delivery in :mod:`.delivery`, and the
choice types and checks they share in :mod:`.base`.

Each table checks itself when it is built, by the TOML loader or in Python alike: a choice outside
its ``Literal`` type, a number out of range or a contradiction raises :class:`~digest.errors.ConfigError`
naming the field (relative to its table: the loader adds the table's key and the file's path).
:class:`Config` checks what needs the tables together or the file system: that a source's file or
folder and a model folder exist, relative to ``base_dir``.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .. import i18n
from ..errors import ConfigError
from ..textutil import slugify
from .base import (
    SOURCE_KINDS,
    Action,
    Backend,
    Mode,
    Representation,
    Security,
    _check_networks,
    _require,
    _Table,
    choices,
)
from .channels import ChannelConfig
from .delivery import EmailConfig, SiteConfig, SmtpConfig
from .stories import (
    LEAD_POLICY,
    PACKAGED_MODELS,
    ClusterConfig,
    DedupeConfig,
    FilterRule,
    LlmConfig,
    RankConfig,
    SectionRule,
    SummaryConfig,
)

__all__ = [
    "LEAD_POLICY",
    "PACKAGED_MODELS",
    "SOURCE_KINDS",
    "Action",
    "Backend",
    "ChannelConfig",
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
    # True: a run stores the issue 'held' and sends only a preview (email.editors, preview channels);
    # `digest approve` sends and publishes it. A held issue older than approval_days is warned about.
    approval: bool = False
    approval_days: int = 3

    @property
    def key(self) -> str:
        """The digest's name in the state store: ``name``, else the title's slug."""
        return self.name or slugify(self.title)

    def _check(self) -> None:
        _require(self, lambda v: 0 <= v <= 125, "must be between 0 and 125", "nothing_new_exit")
        _require(self, lambda v: v >= 1, "must be at least 1", "window_days", "approval_days")
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
    """One source: exactly one of ``url``, ``path``, ``opml``, ``folder`` or ``imap``."""

    name: str = ""
    url: str = ""
    path: str = ""
    opml: str = ""
    folder: str = ""
    # A mailbox of newsletters: imaps://user@host/INBOX (implicit TLS) or imap://… (STARTTLS, required).
    imap: str = ""
    category: str = ""
    # Fetch each new item's linked page and extract the article, for feeds that carry only a teaser.
    full_text: bool = False
    # imap only. The environment variable holding the password: never the config file, never the URL.
    password_env: str = ""
    # imap only: read these mailboxes instead of the URL's; keep only mail from these senders (an
    # address, or a part of one such as "@substack.com", matched as IMAP's FROM search does).
    mailboxes: tuple[str, ...] = ()
    senders: tuple[str, ...] = ()
    # imap only: the newest this many messages of the window, per mailbox; older ones are reported.
    max_messages: int = 200
    # imap only: a PEM file of the CA that signed the server's certificate (a self-hosted server),
    # trusted besides the system's; relative to the config file. Certificates are always verified.
    ca_file: str = ""

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
        _require(self, lambda v: v >= 1, "must be at least 1", "max_messages")
        if self.kind == "imap":
            _check_imap(self)
        else:
            mail_only = ("password_env", "mailboxes", "senders", "ca_file")
            stray = next((k for k in mail_only if getattr(self, k)), "")
            if stray:
                raise ConfigError("only an imap source takes this key", key=stray, hint="remove it")


def _check_imap(source: SourceConfig) -> None:
    try:
        parts = urlsplit(source.imap)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"not an IMAP URL: {source.imap!r} ({exc})", key="imap", hint=_IMAP_EXAMPLE) from exc
    if parts.scheme not in ("imaps", "imap") or not parts.hostname or not parts.username:
        raise ConfigError(f"not an IMAP URL with a user: {source.imap!r}", key="imap", hint=_IMAP_EXAMPLE)
    if parts.password is not None:
        raise ConfigError(
            "the IMAP URL carries a password",
            key="imap",
            hint="remove it from the URL; name the environment variable that holds it in password_env",
        )
    if parts.query or parts.fragment or (port is not None and not 0 < port < 65536):
        raise ConfigError(f"not an IMAP URL: {source.imap!r}", key="imap", hint=_IMAP_EXAMPLE)
    if not source.password_env:
        raise ConfigError(
            "an imap source needs password_env",
            key="password_env",
            hint='the name of the environment variable holding the password, e.g. "NEWSLETTER_PASSWORD"',
        )


_IMAP_EXAMPLE = 'e.g. imap = "imaps://me@mail.example.org/INBOX"'


@dataclass(frozen=True, slots=True)
class FetchConfig(_Table):
    # Seconds one request may take from connect to last byte (a slow drip cannot stall the run).
    timeout: float = 20.0
    connect_timeout: float = 10.0
    # The largest response body, and the largest saved-article file a folder source reads.
    max_bytes: int = 10_000_000
    # Empty: "digest/<version> (+https://github.com/digest-news/digest)", the installed release (see agent).
    user_agent: str = ""
    # Requests in flight at once, overall and to any one host (politeness: most servers throttle above ~4).
    concurrency: int = 64
    per_host: int = 4
    # Extra attempts after a timeout, HTTP 429 or 5xx, waiting backoff * 2**attempt seconds or the
    # server's Retry-After, whichever is longer; a Retry-After beyond max_retry_after gives up at once.
    retries: int = 2
    backoff: float = 1.0
    max_retry_after: float = 60.0
    # Worker processes that parse feeds, saved files and article pages, one input each at a time (0: one
    # per core). Parsing never runs in the fetching process: a hostile input would hold up every fetch.
    parse_workers: int = 1
    # Seconds a worker may spend on one input before it is stopped (and replaced) and the input reported.
    parse_seconds: float = 30.0
    # Megabytes of address space each worker may use (0: no cap; Linux and BSD, not macOS or Windows); an
    # input that makes the parser allocate past it is stopped and reported, its worker replaced. Measured
    # on Linux: a worker holds ~310 MB after loading the language model and extractor (~190 MB resident),
    # ~500 MB at peak on a 6 MB web page (~370 MB resident); 2048 is four times that, and under 400 a
    # worker cannot start at all.
    parse_memory_mb: int = 2048
    # Seconds a full_text source's pages may take together, once its feed is parsed; the items whose pages
    # are not read by then are reported and tried again next run (the feed is then read in full).
    source_seconds: float = 300.0
    # Seconds the whole source stage may take; sources not read by then are reported and tried next run.
    run_seconds: float = 1800.0
    # Networks (CIDR) that feeds, OPML lists, redirects and article pages may reach besides public
    # addresses, e.g. ["10.0.0.0/8"] for an intranet feed. Loopback, private, link-local and reserved
    # addresses are refused otherwise: a stranger's feed must not make the run read 169.254.169.254.
    allow_networks: tuple[str, ...] = ()
    # A feed that failed this many runs in a row (or answered 410 Gone) is quarantined: tried after 1
    # run left out, then 2, 4, 8 … instead of every run, until it works again or is revived.
    quarantine_after: int = 5
    # A feed whose newest item is older than this many days is stale in `digest feeds`: it answers,
    # but has published nothing (abandoned, or moved without a redirect).
    stale_days: int = 30

    @property
    def agent(self) -> str:
        """The User-Agent sent: ``user_agent``, else one naming the installed release and where to read of it.

        Read when a fetch starts, not when the config is built: the version comes from the installed
        metadata, which ``--help``, ``init`` and a config error need not wait for.
        """
        if self.user_agent:
            return self.user_agent
        from .. import __version__

        return f"digest/{__version__} (+https://github.com/digest-news/digest)"

    def _check(self) -> None:
        positive = (
            "timeout",
            "connect_timeout",
            "concurrency",
            "per_host",
            "max_bytes",
            "quarantine_after",
            "stale_days",
        )
        positive_seconds = ("parse_seconds", "source_seconds", "run_seconds")
        _require(self, lambda v: v > 0, "must be greater than 0", *positive, *positive_seconds)
        _require(
            self, lambda v: v >= 0, "must not be negative", "retries", "backoff", "max_retry_after", "parse_workers"
        )
        _require(
            self,
            lambda v: v == 0 or v >= 400,
            "must be 0 (no cap) or at least 400",
            "parse_memory_mb",
            hint="a worker needs about 310 MB of address space once its models are loaded",
        )
        _check_networks("allow_networks", self.allow_networks)


# Embedding models named rather than found in a folder: they ship inside a Python package.


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
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    dedupe: DedupeConfig = field(default_factory=DedupeConfig)
    summary: SummaryConfig = field(default_factory=SummaryConfig)
    rank: RankConfig = field(default_factory=RankConfig)
    email: EmailConfig = field(default_factory=EmailConfig)
    site: SiteConfig = field(default_factory=SiteConfig)
    channels: tuple[ChannelConfig, ...] = ()
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

    def secrets(self) -> tuple[tuple[str, str], ...]:
        """The environment variables a real run reads, each with the key that names it: ``(key, variable)``."""
        needed = []
        smtp = self.email.smtp
        if smtp is not None and smtp.password_env:
            needed.append(("email.smtp.password_env", smtp.password_env))
        if self.summary.backend == "llm" and self.summary.llm.api_key_env:
            needed.append(("summary.llm.api_key_env", self.summary.llm.api_key_env))
        # A channel's URL carries its token: a secret like a password.
        needed += [(f"channels[{i}].url_env", c.url_env) for i, c in enumerate(self.channels)]
        return tuple(needed)

    def check_runnable(self, path: str = "") -> None:
        """Raise :class:`ConfigError` (naming the file at ``path``) unless a run has something to read.

        Not part of building a config, which a library user may do without sources (to render, to
        read the store); a run with none would say "nothing new" every week and never fail.
        """
        if not self.sources:
            raise ConfigError(
                "none given, so the digest has nothing to read",
                path=path,
                key="sources",
                hint='add at least one [[sources]] table, e.g. url = "https://example.org/feed.xml"',
            )

    def _check(self) -> None:
        for i, source in enumerate(self.sources):
            self._check_source(source, f"sources[{i}]")
        self._check_channels()
        model = self.cluster.semantic_model
        on_disk = bool(model) and self.resolve(model).is_dir()
        if self.cluster.representation == "semantic" and model not in PACKAGED_MODELS and not on_disk:
            raise ConfigError(
                f"no such model folder: {model!r}",
                key="cluster.semantic_model",
                hint=f"use {' or '.join(map(repr, PACKAGED_MODELS))}, or the folder of a model2vec, "
                "sentence-transformers or ONNX model (relative to the config file); models are never downloaded",
            )

    def _check_channels(self) -> None:
        if self.channels and importlib.util.find_spec("apprise") is None:
            raise ConfigError(
                "[[channels]] need the apprise package, which is not installed",
                key="channels",
                hint="pip install 'digest-news[channels]'",
            )
        seen: set[str] = set()
        for i, channel in enumerate(self.channels):
            if channel.key in seen:
                raise ConfigError(
                    f"two channels named {channel.key!r}", key=f"channels[{i}].name", hint="give each a name of its own"
                )
            seen.add(channel.key)

    def _check_source(self, source: SourceConfig, key: str) -> None:
        location = source.location
        if source.kind == "url" and not location.startswith(("http://", "https://")):
            raise ConfigError(
                f"not an http(s) URL: {location!r}", key=f"{key}.url", hint="use path = … for a local feed file"
            )
        if source.ca_file and not self.resolve(source.ca_file).is_file():
            raise ConfigError(
                f"no such file: {self.resolve(source.ca_file)}",
                key=f"{key}.ca_file",
                hint="a PEM file of CA certificates, relative to the config file",
            )
        if source.kind in ("path", "folder") or (source.kind == "opml" and "://" not in location):
            target = self.resolve(location)
            if not target.exists():
                raise ConfigError(
                    f"no such file or folder: {target}",
                    key=f"{key}.{source.kind}",
                    hint="paths are relative to the config file",
                )
