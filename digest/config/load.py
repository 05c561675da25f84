"""Reading the TOML file: unknown keys and wrong types are errors naming the key; paths resolve against it."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from .. import i18n
from ..errors import ConfigError
from .sections import PACKAGED_MODELS, Config, SummaryConfig

__all__ = ["load_config", "parse_config"]

T = TypeVar("T")
_SECURITY = ("starttls", "ssl", "none")


def load_config(path: str | Path) -> Config:
    """Read and validate the config file at ``path``."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read config: {exc.strerror or exc}", path=str(path), hint="check the --config path"
        ) from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=str(path), hint="fix the TOML syntax") from exc
    return parse_config(data, base_dir=path.resolve().parent, path=str(path))


def parse_config(data: dict[str, Any], *, base_dir: str | Path = ".", path: str = "<config>") -> Config:
    """Build a :class:`Config` from already-parsed TOML data."""
    data = {**data, "base_dir": str(base_dir)}
    config = _build(Config, data, path=path, prefix="")
    _check(config, path)
    return config


def _build(cls: type[T], data: Any, *, path: str, prefix: str) -> T:
    if not isinstance(data, dict):
        raise ConfigError("expected a table", path=path, key=prefix or "<root>")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for key in data:
        if key not in names:
            known = ", ".join(sorted(n for n in names if n != "base_dir"))
            raise ConfigError("unknown key", path=path, key=_join(prefix, key), hint=f"known keys here: {known}")
    values = {key: _coerce(hints[key], value, path=path, key=_join(prefix, key)) for key, value in data.items()}
    return cls(**values)


def _coerce(hint: Any, value: Any, *, path: str, key: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        inner = next(a for a in args if a is not type(None))
        return _coerce(inner, value, path=path, key=key)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, path=path, prefix=key)  # type: ignore[arg-type]
    if origin is tuple:
        if not isinstance(value, list):
            raise _wrong_type(path, key, "a list", value)
        return tuple(_coerce(args[0], item, path=path, key=f"{key}[{i}]") for i, item in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise _wrong_type(path, key, "a table", value)
        return {str(k): _coerce(args[1], v, path=path, key=f"{key}.{k}") for k, v in value.items()}
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, bool):
        raise _wrong_type(path, key, "an integer", value)
    if not isinstance(value, hint):
        raise _wrong_type(path, key, _describe(hint), value)
    return value


def _describe(hint: Any) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(hint, str(hint))


def _wrong_type(path: str, key: str, expected: str, value: Any) -> ConfigError:
    return ConfigError(
        f"expected {expected}, got {type(value).__name__} {value!r}",
        path=path,
        key=key,
        hint=f"write {key} as {expected}",
    )


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _check(config: Config, path: str) -> None:
    for i, source in enumerate(config.sources):
        key = f"sources[{i}]"
        given = [k for k in ("url", "path", "opml", "folder") if getattr(source, k)]
        if len(given) != 1:
            raise ConfigError(
                "a source needs exactly one of url, path, opml, folder",
                path=path,
                key=key,
                hint='e.g. url = "https://example.org/feed.xml"',
            )
        location = source.location
        if source.kind == "url" and not location.startswith(("http://", "https://")):
            raise ConfigError(
                f"not an http(s) URL: {location!r}",
                path=path,
                key=f"{key}.url",
                hint="use path = … for a local feed file",
            )
        if source.kind in ("path", "folder") or (source.kind == "opml" and "://" not in location):
            target = config.resolve(location)
            if not target.exists():
                raise ConfigError(
                    f"no such file or folder: {target}",
                    path=path,
                    key=f"{key}.{source.kind}",
                    hint="paths are relative to the config file",
                )
    smtp = config.email.smtp
    if smtp is not None and smtp.security not in _SECURITY:
        raise ConfigError(
            f"unknown security {smtp.security!r}",
            path=path,
            key="email.smtp.security",
            hint="use one of " + ", ".join(_SECURITY),
        )
    retries = smtp.retries if smtp is not None else 0
    for key, value, least in (
        ("email.smtp.retries", retries, 0),
        ("site.per_page", config.site.per_page, 1),
        ("site.feed_items", config.site.feed_items, 1),
    ):
        if value < least:
            raise ConfigError(f"must be at least {least}", path=path, key=key)
    if config.email.mode not in ("each", "bcc"):
        raise ConfigError(f"unknown mode {config.email.mode!r}", path=path, key="email.mode", hint="use each or bcc")
    _check_summary(config.summary, path)
    _check_filters(config, path)
    _check_patterns(config, path)
    _check_cluster(config, path)
    fetch = config.fetch
    for key in ("timeout", "connect_timeout", "concurrency", "per_host", "max_bytes", "quarantine_after"):
        if getattr(fetch, key) <= 0:
            raise ConfigError("must be greater than 0", path=path, key=f"fetch.{key}")
    if fetch.retries < 0 or fetch.backoff < 0 or fetch.max_retry_after < 0 or fetch.parse_workers < 0:
        raise ConfigError("must not be negative", path=path, key="fetch.retries/backoff/max_retry_after/parse_workers")
    for network in fetch.allow_networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as exc:
            raise ConfigError(
                f"not a network: {network!r}", path=path, key="fetch.allow_networks", hint='e.g. "10.0.0.0/8"'
            ) from exc
    if not 0 <= config.digest.nothing_new_exit <= 125:
        raise ConfigError("must be between 0 and 125", path=path, key="digest.nothing_new_exit")
    if config.digest.window_days < 1:
        raise ConfigError("must be at least 1", path=path, key="digest.window_days")
    if not i18n.is_known_language(config.digest.language):
        raise ConfigError(
            f"unknown language {config.digest.language!r}",
            path=path,
            key="digest.language",
            hint='a language tag such as "en", "de" or "pt-BR"',
        )
    if config.digest.name and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", config.digest.name):
        raise ConfigError(
            f"not a digest name: {config.digest.name!r}",
            path=path,
            key="digest.name",
            hint="letters, digits, '.', '_' and '-', at most 64, e.g. \"harbor-weekly\"",
        )
    if config.digest.max_catch_up_days < config.digest.window_days:
        raise ConfigError(
            f"must be at least window_days ({config.digest.window_days})", path=path, key="digest.max_catch_up_days"
        )


def _check_summary(summary: SummaryConfig, path: str) -> None:
    if summary.backend not in ("extractive", "llm"):
        raise ConfigError(
            f"unknown backend {summary.backend!r}", path=path, key="summary.backend", hint="use extractive or llm"
        )
    if summary.backend == "llm" and not (summary.llm.base_url and summary.llm.model):
        raise ConfigError(
            "the llm backend needs an endpoint and a model",
            path=path,
            key="summary.llm",
            hint='e.g. base_url = "http://localhost:11434/v1", model = "llama3.1"',
        )
    if summary.llm.concurrency < 1:
        raise ConfigError("must be at least 1", path=path, key="summary.llm.concurrency")
    if summary.sentences < 1 or summary.words < 0:
        raise ConfigError("a summary needs at least one sentence", path=path, key="summary.sentences")
    for key, value in (
        ("summary.lead_weight", summary.lead_weight),
        ("summary.commentary_weight", summary.commentary_weight),
        ("summary.llm.min_overlap", summary.llm.min_overlap),
    ):
        if not 0 <= value <= 1:
            raise ConfigError(f"must be between 0 and 1, not {value}", path=path, key=key)


def _check_filters(config: Config, path: str) -> None:
    for i, rule in enumerate(config.filters):
        key = f"filters[{i}]"
        if rule.action not in ("drop", "keep"):
            raise ConfigError(
                f"unknown action {rule.action!r}", path=path, key=f"{key}.action", hint="use drop or keep"
            )
        if rule.min_words < 0:
            raise ConfigError("must not be negative", path=path, key=f"{key}.min_words")
        criteria = (rule.sources, rule.categories, rule.keywords, rule.patterns, rule.languages, rule.min_words)
        if not any(criteria):
            raise ConfigError(
                "a filter needs at least one criterion",
                path=path,
                key=key,
                hint="give sources, categories, keywords, patterns, languages or min_words",
            )


def _check_patterns(config: Config, path: str) -> None:
    keyed = [(f"sections[{i}].patterns", p) for i, rule in enumerate(config.sections) for p in rule.patterns]
    keyed += [(f"rank.keyword_weights.{p}", p) for p in config.rank.keyword_weights]
    keyed += [(f"filters[{i}].patterns", p) for i, rule in enumerate(config.filters) for p in rule.patterns]
    for key, pattern in keyed:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(
                f"not a regular expression: {pattern!r} ({exc})", path=path, key=key, hint="escape special characters"
            ) from exc


def _check_cluster(config: Config, path: str) -> None:
    cluster, dedupe = config.cluster, config.dedupe
    if cluster.representation not in ("lexical", "semantic"):
        raise ConfigError(
            f"unknown representation {cluster.representation!r}",
            path=path,
            key="cluster.representation",
            hint='use "lexical" or "semantic"',
        )
    model = cluster.semantic_model
    on_disk = bool(model) and config.resolve(model).is_dir()
    if cluster.representation == "semantic" and model not in PACKAGED_MODELS and not on_disk:
        raise ConfigError(
            f"no such model folder: {model!r}",
            path=path,
            key="cluster.semantic_model",
            hint=f"use {' or '.join(map(repr, PACKAGED_MODELS))}, or the folder of a model2vec, "
            "sentence-transformers or ONNX model (relative to the config file); models are never downloaded",
        )
    shares = ("entity_weight", "semantic_weight", "time_factor")
    for name in shares:
        if not 0.0 <= getattr(cluster, name) <= 1.0:
            raise ConfigError("must be between 0 and 1", path=path, key=f"cluster.{name}")
    for name in ("short_text", "full_entities", "attach_words"):
        if getattr(cluster, name) < 0:
            raise ConfigError("must be at least 0", path=path, key=f"cluster.{name}", hint="0 turns it off")
    if not 0.0 < dedupe.threshold <= 1.0:
        raise ConfigError("must be above 0 and at most 1", path=path, key="dedupe.threshold")
    if dedupe.bands < 1 or dedupe.num_perm % dedupe.bands:
        raise ConfigError(
            "num_perm must be a positive multiple of bands", path=path, key="dedupe.num_perm", hint="e.g. 64 and 16"
        )
