"""The one TOML config file, read into frozen dataclasses that hold every default.

Unknown keys and wrong types are errors that name the key and the fix; relative paths resolve
against the config file's folder, so a config works from any working directory. Secrets never
live in the file: it names the environment variable that holds them.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .errors import ConfigError

__all__ = [
    "ClusterConfig",
    "Config",
    "DigestSettings",
    "EmailConfig",
    "FetchConfig",
    "RankConfig",
    "SectionRule",
    "SiteConfig",
    "SmtpConfig",
    "SourceConfig",
    "SummaryConfig",
    "load_config",
    "parse_config",
]


@dataclass(frozen=True, slots=True)
class DigestSettings:
    title: str = "Weekly Digest"
    window_days: int = 7
    state: str = "digest.db"
    output: str = "output"
    theme: str = ""


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """One source: exactly one of ``url``, ``path``, ``opml`` or ``folder``."""

    name: str = ""
    url: str = ""
    path: str = ""
    opml: str = ""
    folder: str = ""
    category: str = ""

    @property
    def kind(self) -> str:
        return next(k for k in ("url", "path", "opml", "folder") if getattr(self, k))

    @property
    def location(self) -> str:
        return str(getattr(self, self.kind))


@dataclass(frozen=True, slots=True)
class FetchConfig:
    timeout: float = 20.0
    max_bytes: int = 10_000_000
    user_agent: str = "digest/0.1 (+https://github.com/digest-news/digest)"


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    # Cosine similarity of TF-IDF vectors above which two articles share a story.
    threshold: float = 0.3
    # Jaccard similarity of word shingles above which two articles are copies of one another.
    near_duplicate: float = 0.8


@dataclass(frozen=True, slots=True)
class SummaryConfig:
    sentences: int = 2


@dataclass(frozen=True, slots=True)
class SectionRule:
    """A section and what puts a story in it; the first rule that matches wins."""

    name: str = ""
    sources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RankConfig:
    max_stories: int = 40
    max_per_section: int = 15
    source_weights: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str = ""
    port: int = 587
    security: str = "starttls"
    username: str = ""
    password_env: str = ""
    timeout: float = 30.0
    # Transient failures (connection lost, 4xx) are retried this many times, waiting retry_wait, then twice that…
    retries: int = 2
    retry_wait: float = 5.0


@dataclass(frozen=True, slots=True)
class EmailConfig:
    sender: str = "Digest <digest@localhost>"
    to: tuple[str, ...] = ()
    subject: str = "{title}: {week}"
    outbox: str = "outbox"
    mode: str = "each"  # "each": one message per recipient; "bcc": one message, every recipient in the envelope
    list_id: str = ""  # default: 'Title <title-slug.sender-domain>'
    unsubscribe_mailto: str = ""
    unsubscribe_url: str = ""  # may contain {recipient}; an https URL also gets one-click List-Unsubscribe-Post
    max_html_bytes: int = 100_000  # Gmail clips at 102 KB: past this, stories are cut and the site linked
    smtp: SmtpConfig | None = None


@dataclass(frozen=True, slots=True)
class SiteConfig:
    dir: str = "site"
    base_url: str = ""
    per_page: int = 20  # issues per archive page
    feed_items: int = 20  # newest issues in the Atom and JSON feeds


@dataclass(frozen=True, slots=True)
class Config:
    digest: DigestSettings = DigestSettings()
    sources: tuple[SourceConfig, ...] = ()
    sections: tuple[SectionRule, ...] = ()
    fetch: FetchConfig = FetchConfig()
    cluster: ClusterConfig = ClusterConfig()
    summary: SummaryConfig = SummaryConfig()
    rank: RankConfig = RankConfig()
    email: EmailConfig = EmailConfig()
    site: SiteConfig = SiteConfig()
    base_dir: str = "."

    def resolve(self, relative: str) -> Path:
        """A path from the config, anchored at the config file's folder."""
        return (Path(self.base_dir) / relative).resolve()


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
    if config.digest.window_days < 1:
        raise ConfigError("must be at least 1", path=path, key="digest.window_days")
