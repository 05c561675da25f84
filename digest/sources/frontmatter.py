"""Front matter of saved Markdown files: ``---``-fenced YAML or ``+++``-fenced TOML, top-level scalars as text.

Hostile like the rest of the file: TOML nested past :data:`MAX_NESTING` is refused before it is parsed
(the parser recurses once a level), YAML is read with ``safe_load`` (plain values only; an alias shares
a node, never copies it), and front matter that YAML cannot read is read line by line instead.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from typing import Any

import yaml

__all__ = ["MAX_NESTING", "NotYaml", "front_matter"]

# The deepest nesting a saved file may hold (TOML front matter's arrays and tables, an e-mail's parts):
# the parsers recurse once a level, so a file nested 50,000 deep would otherwise exhaust the stack.
MAX_NESTING = 100


class NotYaml(ValueError):
    """Front matter fenced as YAML that YAML cannot read; carries what a line-by-line reading found."""

    def __init__(self, message: str, meta: dict[str, str], content: str) -> None:
        super().__init__(message)
        self.meta = meta
        self.content = content


def front_matter(content: str) -> tuple[dict[str, str], str]:
    """Split ``---``-fenced YAML or ``+++``-fenced TOML front matter from the body.

    Top-level scalar values are kept, as text (a YAML or TOML date as ISO 8601); lists and tables
    are skipped. Keys are lower-cased.
    """
    for fence in ("---", "+++"):
        if content.startswith(fence + "\n") or content.startswith(fence + "\r\n"):
            head, sep, rest = content[len(fence) :].lstrip("\r\n").partition("\n" + fence)
            if sep:
                body = rest.partition("\n")[2]
                if fence == "+++":
                    return _toml(head), body
                try:
                    return _yaml(head), body
                except ValueError as exc:
                    raise NotYaml(str(exc), _yaml_lines(head), body) from exc
    return {}, content


def _toml(head: str) -> dict[str, str]:
    if _nesting(head) > MAX_NESTING:
        raise ValueError(f"TOML front matter nested more than {MAX_NESTING} deep")
    try:
        data = tomllib.loads(head)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"bad TOML front matter: {exc}") from exc
    return {str(k).lower(): _scalar(v) for k, v in data.items() if _scalar(v)}


def _nesting(text: str) -> int:
    """The deepest run of open brackets in ``text``, a bound on TOML's nesting (brackets in strings count too)."""
    depth = deepest = 0
    for match in re.finditer(r"[\[\]{}]", text):
        depth = max(0, depth + (1 if match.group(0) in "[{" else -1))
        deepest = max(deepest, depth)
    return deepest


def _yaml(head: str) -> dict[str, str]:
    try:
        # safe_load builds plain values only (no Python objects); aliases share, never copy, a node.
        data = yaml.safe_load(head)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 2})" if where is not None else ""
        raise ValueError(f"front matter is not YAML{line}: {getattr(exc, 'problem', None) or exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("front matter is not a YAML mapping of keys to values")
    return {str(k).lower(): _scalar(v) for k, v in data.items() if _scalar(v)}


def _yaml_lines(head: str) -> dict[str, str]:
    """The flat ``key: value`` lines of front matter that YAML cannot read; a `` #`` comment is dropped."""
    meta = {}
    for line in head.splitlines():
        key, colon, value = line.partition(":")
        if colon and key.strip() and not key.startswith((" ", "\t", "-", "#")):
            meta[key.strip().lower()] = value.partition(" #")[0].strip().strip("\"'")
    return meta


def _scalar(value: Any) -> str:
    if isinstance(value, dt.date | dt.time):  # YAML and TOML read dates themselves
        return value.isoformat()
    if isinstance(value, bool):
        return ""
    return str(value) if isinstance(value, str | int | float) else ""
