"""Every error the library raises on purpose.

The tree::

    DigestError                 base: anything the CLI turns into ``Error: …`` and exit 1
    ├── ConfigError             the TOML file is missing or malformed, or a setting is unknown or refused
    ├── SourceError             one source could not be read; the run reports it and goes on
    │   ├── FetchError          the network or the server failed (DNS, timeout, 4xx/5xx)
    │   │   └── RefusedError    the address is private or reserved and not in fetch.allow_networks
    │   └── ParseError          the bytes are not a feed / OPML / article we can read
    ├── StoreError              the state store cannot be opened, is too new, or is busy (locked)
    ├── SummaryError            the LLM endpoint failed or its answer was unusable; the story falls back
    ├── RenderError             a template is missing or failed to render
    └── DeliveryError           the digest could not be delivered (SMTP refused, outbox unwritable)

Each error carries its context as keyword-only attributes (``source``, ``key``, ``path``,
``recipients``) and a ``hint`` that tells the user what to do. Errors never print themselves:
presentation stays in :mod:`digest.cli`.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DeliveryError",
    "DigestError",
    "FetchError",
    "ParseError",
    "RefusedError",
    "RenderError",
    "SourceError",
    "StoreError",
    "SummaryError",
]


class DigestError(Exception):
    """Base of every error the library raises on purpose."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(DigestError):
    """Raised while loading the config (bad TOML, unknown key, wrong type) or building one of its tables
    with a value it refuses (a choice it does not know, a number out of range, a missing path)."""

    def __init__(self, message: str, *, path: str = "", key: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.path = path
        self.key = key

    def __str__(self) -> str:
        where = self.path + (f": {self.key}" if self.key else "") if self.path else self.key
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} ({self.hint})" if self.hint else text


class SourceError(DigestError):
    """Raised when one source (feed URL, file, folder, OPML list) cannot be read."""

    def __init__(self, message: str, *, source: str, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.source = source

    def __str__(self) -> str:
        text = f"{self.source}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class FetchError(SourceError):
    """Raised when fetching a source over the network fails (DNS, TLS, timeout, HTTP status)."""

    def __init__(self, message: str, *, source: str, status: int | None = None, hint: str = "") -> None:
        super().__init__(message, source=source, hint=hint)
        self.status = status


class RefusedError(FetchError):
    """Raised when a URL, or a redirect from it, leads to an address the destination policy refuses."""

    def __init__(self, message: str, *, source: str, address: str, hint: str = "") -> None:
        super().__init__(message, source=source, hint=hint)
        self.address = address


class ParseError(SourceError):
    """Raised when a source's bytes are not a readable feed, OPML list or article."""


class StoreError(DigestError):
    """Raised when the state store cannot be opened, migrated or locked."""

    def __init__(self, message: str, *, path: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.path = path


class RenderError(DigestError):
    """Raised when a template is missing or raises while rendering."""

    def __init__(self, message: str, *, template: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.template = template


class DeliveryError(DigestError):
    """Raised when the digest could not be delivered to some or all recipients.

    ``permanent``: sending again will not help until the config or the server is fixed (a refused
    login, a missing password); otherwise the failure may pass (a server down, a 4xx reply).
    """

    def __init__(
        self, message: str, *, recipients: tuple[str, ...] = (), hint: str = "", permanent: bool = False
    ) -> None:
        super().__init__(message, hint=hint)
        self.recipients = recipients
        self.permanent = permanent


class SummaryError(DigestError):
    """Raised when the LLM endpoint fails or answers with something unusable; the story falls back."""

    def __init__(self, message: str, *, story: str = "", status: int | None = None, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.story = story
        self.status = status
