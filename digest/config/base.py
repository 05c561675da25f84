"""What every config table shares: the settings that take one of a few words, and the checks.

A table checks itself when it is built (:class:`_Table`): each ``Literal`` field against the words its
type allows (read with ``typing.get_args``, so the type is the list), then its own invariants.
"""

from __future__ import annotations

import ipaddress
import re
import typing
from dataclasses import fields
from typing import Any, Literal

from ..errors import ConfigError

__all__ = ["SOURCE_KINDS", "Action", "Backend", "BriefInEmail", "Mode", "Representation", "Security", "choices"]

# The settings that take one of a few words: the type is the list, checked by every table that has one.
Representation = Literal["semantic", "lexical"]
Backend = Literal["extractive", "llm"]
Security = Literal["starttls", "ssl", "none"]
Mode = Literal["each", "bcc"]
Action = Literal["drop", "keep"]
BriefInEmail = Literal["fit", "always", "never"]

SOURCE_KINDS = ("url", "path", "opml", "folder", "imap")


def choices(table: type) -> dict[str, tuple[str, ...]]:
    """The fields of a config table whose type is a ``Literal``, each with the words it allows."""
    if table not in _CHOICES:
        hints = typing.get_type_hints(table)
        literal = (f.name for f in fields(table) if typing.get_origin(hints[f.name]) is Literal)
        _CHOICES[table] = {name: typing.get_args(hints[name]) for name in literal}
    return _CHOICES[table]


_CHOICES: dict[type, dict[str, tuple[str, ...]]] = {}


class _Table:
    """A config table that checks itself: its ``Literal`` choices, then the invariants of :meth:`_check`."""

    __slots__ = ()

    def __post_init__(self) -> None:
        for name, allowed in choices(type(self)).items():
            value = getattr(self, name)
            if value not in allowed:
                raise ConfigError(f"unknown {name} {value!r}", key=name, hint="use " + _either(allowed))
        self._check()

    def _check(self) -> None:
        """Raise :class:`ConfigError` naming the field when a value is out of range or contradicts another."""


def _either(words: tuple[str, ...]) -> str:
    quoted = [repr(w) for w in words]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1] if len(quoted) > 1 else quoted[0]


def _require(table: object, test: typing.Callable[[Any], bool], message: str, *names: str, hint: str = "") -> None:
    """Raise for the first of ``names`` whose value fails ``test``."""
    for name in names:
        if not test(getattr(table, name)):
            raise ConfigError(message, key=name, hint=hint)


def _share(value: float) -> bool:
    return 0.0 <= value <= 1.0


def _check_networks(key: str, networks: typing.Iterable[str]) -> None:
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as exc:
            raise ConfigError(f"not a network: {network!r}", key=key, hint='e.g. "10.0.0.0/8"') from exc


def _check_patterns(key: str, patterns: typing.Iterable[str]) -> None:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(
                f"not a regular expression: {pattern!r} ({exc})",
                key=key.format(pattern=pattern),
                hint="escape special characters",
            ) from exc
