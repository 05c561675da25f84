"""The one TOML config file, read into frozen dataclasses that hold every default.

Unknown keys and wrong types are errors that name the key and the fix; relative paths resolve
against the config file's folder, so a config works from any working directory. Secrets never
live in the file: it names the environment variable that holds them.
"""

from .load import load_config, parse_config
from .sections import (
    ClusterConfig,
    Config,
    DedupeConfig,
    DigestSettings,
    EmailConfig,
    FetchConfig,
    FilterRule,
    LlmConfig,
    RankConfig,
    SectionRule,
    SiteConfig,
    SmtpConfig,
    SourceConfig,
    SummaryConfig,
)

__all__ = [
    "ClusterConfig",
    "Config",
    "DedupeConfig",
    "DigestSettings",
    "EmailConfig",
    "FetchConfig",
    "FilterRule",
    "LlmConfig",
    "RankConfig",
    "SectionRule",
    "SiteConfig",
    "SmtpConfig",
    "SourceConfig",
    "SummaryConfig",
    "load_config",
    "parse_config",
]
