"""The [[channels]] tables: where a compact form of each issue is posted besides the email.

A channel is an Apprise URL (Slack, Matrix, Discord, Teams, a JSON webhook and a hundred more) held
in an environment variable the table names: a webhook URL carries its token, so it never lives in
the config file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ConfigError
from .base import _require, _Table

__all__ = ["MAX_TOP", "ChannelConfig"]

# Headlines a post may carry at most: a chat message is a pointer to the issue, not the issue.
MAX_TOP = 50

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True, slots=True)
class ChannelConfig(_Table):
    # The environment variable that holds the channel's Apprise URL, e.g. "slack://T…/B…/…".
    url_env: str = ""
    # How the channel is named in the report, `digest status` and the state store (default: url_env, lowercased).
    name: str = ""
    # Headlines the post carries, fewer when the service's message limit is smaller.
    top: int = 10
    # True: the editors' channel: it gets the preview of an issue held for approval, never the issue itself.
    preview: bool = False

    @property
    def key(self) -> str:
        return self.name or self.url_env.lower()

    def _check(self) -> None:
        if not _ENV_NAME.fullmatch(self.url_env):
            raise ConfigError(
                f"not an environment variable name: {self.url_env!r}",
                key="url_env",
                hint='name the variable that holds the Apprise URL, e.g. url_env = "DIGEST_SLACK_URL"',
            )
        if self.name and not _NAME.fullmatch(self.name):
            raise ConfigError(
                f"not a channel name: {self.name!r}", key="name", hint="letters, digits, '.', '_' and '-', at most 64"
            )
        _require(self, lambda v: 1 <= v <= MAX_TOP, f"must be between 1 and {MAX_TOP}", "top")
