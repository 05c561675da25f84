"""digest: a weekly newsletter digest from feeds and saved articles, clustered into stories.

The names below are imported on first use (PEP 562): every ``digest.*`` import runs this file first,
and the pipeline pulls in numpy, scipy and scikit-learn, which ``digest init`` or ``--help`` never
needs and which take seconds to load.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    __version__: str
    from .config import Config, SourceConfig, load_config, parse_config
    from .errors import (
        ConfigError,
        DeliveryError,
        DigestError,
        FetchError,
        ParseError,
        RenderError,
        SourceError,
        StoreError,
    )
    from .mailer import Mailer, OutboxMailer, SmtpMailer
    from .models import Article, Digest, Link, Problem, RunReport, RunStatus, Section, Story, SummarySentence
    from .pipeline import Pipeline, Services, Week, write_renderings
    from .render import Rendering
    from .store import SqliteStore, Store, open_store

__all__ = [
    "Article",
    "Config",
    "ConfigError",
    "DeliveryError",
    "Digest",
    "DigestError",
    "FetchError",
    "Link",
    "Mailer",
    "OutboxMailer",
    "ParseError",
    "Pipeline",
    "Problem",
    "RenderError",
    "Rendering",
    "RunReport",
    "RunStatus",
    "Section",
    "Services",
    "SmtpMailer",
    "SourceConfig",
    "SourceError",
    "SqliteStore",
    "Store",
    "StoreError",
    "Story",
    "SummarySentence",
    "Week",
    "load_config",
    "open_store",
    "parse_config",
    "write_renderings",
]

# The distribution this package is installed as; its metadata holds the one version (pyproject.toml).
DISTRIBUTION = "digest-news"

# Where each public name lives; one table, so __all__ and the imports cannot drift apart unnoticed
# (tests/test_imports.py resolves every name in __all__).
_HOME = {
    **dict.fromkeys(("Config", "SourceConfig", "load_config", "parse_config"), ".config"),
    **dict.fromkeys(
        (
            "ConfigError",
            "DeliveryError",
            "DigestError",
            "FetchError",
            "ParseError",
            "RenderError",
            "SourceError",
            "StoreError",
        ),
        ".errors",
    ),
    **dict.fromkeys(
        ("Article", "Digest", "Link", "Problem", "RunReport", "RunStatus", "Section", "Story", "SummarySentence"),
        ".models",
    ),
    **dict.fromkeys(("Pipeline", "Services", "Week", "write_renderings"), ".pipeline"),
    **dict.fromkeys(("Mailer", "OutboxMailer", "SmtpMailer"), ".mailer"),
    "Rendering": ".render",
    **dict.fromkeys(("SqliteStore", "Store", "open_store"), ".store"),
}


def _version() -> str:
    """The installed distribution's version, read from its metadata (never written twice)."""
    from importlib import metadata  # here, not at the top: its import costs more than --help takes

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        pass
    # Not installed under this name: a source checkout on sys.path (or installed before the rename).
    # Its pyproject.toml, if it is this project's, is where the version is written.
    import tomllib
    from pathlib import Path

    try:
        project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return "0+unknown"
    table = project.get("project", {})
    return str(table.get("version", "0+unknown")) if table.get("name") == DISTRIBUTION else "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":  # looked up on first use: reading metadata costs an import nothing else pays
        globals()[name] = value = _version()
        return value
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value  # once found, a plain module attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
