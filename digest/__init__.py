"""digest: a weekly newsletter digest from feeds and saved articles, clustered into stories.

The names below are imported on first use (PEP 562): every ``digest.*`` import runs this file first,
and the pipeline pulls in numpy, scipy and scikit-learn, which ``digest init`` or ``--help`` never
needs and which take seconds to load.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

__version__ = "0.1.0"

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


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value  # once found, a plain module attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
