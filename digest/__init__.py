"""digest: a weekly newsletter digest from feeds and saved articles, clustered into stories."""

from .config import Config, load_config
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
from .models import Article, Digest, Link, Problem, RunReport, Section, Story, SummarySentence
from .pipeline import build_week, preview, run
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
    "ParseError",
    "Problem",
    "RenderError",
    "RunReport",
    "Section",
    "SourceError",
    "SqliteStore",
    "Store",
    "StoreError",
    "Story",
    "SummarySentence",
    "build_week",
    "load_config",
    "open_store",
    "preview",
    "run",
]

__version__ = "0.1.0"
