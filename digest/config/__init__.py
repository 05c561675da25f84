"""The one TOML config file, read into frozen dataclasses that hold every default.

Unknown keys and wrong types are errors that name the key and the fix; relative paths resolve
against the config file's folder, so a config works from any working directory. Secrets never
live in the file: it names the environment variable that holds them. A config built in Python
is checked as the file is: each table checks its choices and ranges when it is built.
"""

from .load import load_config, parse_config
from .sections import (
    Action,
    Backend,
    ChannelConfig,
    ClusterConfig,
    Config,
    DedupeConfig,
    DigestSettings,
    EmailConfig,
    FetchConfig,
    FilterRule,
    LlmConfig,
    Mode,
    RankConfig,
    Representation,
    SectionRule,
    Security,
    SiteConfig,
    SmtpConfig,
    SourceConfig,
    SummaryConfig,
)

__all__ = [
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
    "load_config",
    "parse_config",
]
