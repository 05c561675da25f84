"""Reading the TOML file: unknown keys and wrong types are errors naming the key; paths resolve against it.

What a value may be is the tables' own business (:mod:`.sections` checks a config however it is built);
this module turns TOML into those tables and names the key and the file in every error.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from ..errors import ConfigError
from .sections import Config

__all__ = ["load_config", "parse_config"]

T = TypeVar("T")


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
    return _build(Config, {**data, "base_dir": str(base_dir)}, path=path, prefix="")


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
    try:
        return cls(**values)
    except ConfigError as exc:  # the table's own check, which names the key within the table
        raise ConfigError(exc.message, path=path, key=_join(prefix, exc.key), hint=exc.hint) from None


def _coerce(hint: Any, value: Any, *, path: str, key: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        inner = next(a for a in args if a is not type(None))
        return _coerce(inner, value, path=path, key=key)
    if origin is typing.Literal:  # which word is the table's check, so a config built in Python gets it too
        return _coerce(str, value, path=path, key=key)
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
    return f"{prefix}.{key}" if prefix and key else prefix or key
