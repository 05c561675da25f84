"""The documentation's generated pages: the configuration and command references, and the changelog.

An MkDocs hook (``hooks:`` in mkdocs.yml): a page holding ``<!-- generated: NAME -->`` gets that text in its
place when the site is built, so the references are read from the code on every build and cannot drift
from it. The configuration reference walks the config dataclasses (every key, its type and its default,
read from ``Config()``); each key's description is the comment beside or above the field in the code, else
the one beside the key in the annotated example (docs/configuration.md, whose values tests hold to the
defaults). The command reference walks the ``digest`` argparse parser.

Run as a script to print one of them: ``python scripts/docs_reference.py configuration|cli|changelog``.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import io
import json
import os
import re
import sys
import textwrap
import tokenize
import types
import typing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"<!-- generated: (\w+) -->")
EXAMPLE = ROOT / "docs" / "configuration.md"


# --- configuration -----------------------------------------------------------------------------------


def _field_comments(cls: type) -> dict[str, str]:
    """Each field of dataclass ``cls`` → the comment beside it, or the comment lines right above it."""
    source = textwrap.dedent(inspect.getsource(cls))
    comments: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string.lstrip("#").strip()
    lines = source.splitlines()
    found: dict[str, str] = {}
    for node in ast.parse(source).body[0].body:  # type: ignore[attr-defined]
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        above: list[str] = []
        line = node.lineno - 1
        while line in comments and lines[line - 1].lstrip().startswith("#"):
            above.insert(0, comments[line])
            line -= 1
        beside = comments.get(node.lineno) if not lines[node.lineno - 1].lstrip().startswith("#") else None
        text = " ".join([*above, *([beside] if beside else [])])
        if text:
            found[node.target.id] = text
    return found


def _example_comments() -> dict[str, str]:
    """``table.key`` → the comment beside the key in the annotated example (and its continuation lines)."""
    text = EXAMPLE.read_text(encoding="utf-8")
    block = re.search(r"```toml\n(.*?)```", text, re.S)
    found: dict[str, str] = {}
    if block is None:
        return found
    table, last = "", ""
    for raw in block.group(1).splitlines():
        header = re.match(r"\[\[?([\w.]+)\]?\]", raw)
        if header:
            table, last = header.group(1), ""
            continue
        entry = re.match(r"(\w+)\s*=.*?\s#\s?(.*)$", raw)
        if entry and not raw.startswith(" "):
            last = f"{table}.{entry.group(1)}"
            found.setdefault(last, entry.group(2).strip())
        elif re.match(r"\s+#\s?", raw) and last and "=" not in raw.split("#", 1)[0]:
            found[last] += " " + raw.split("#", 1)[1].strip()
        elif not raw.strip().startswith("#"):
            last = ""
    return found


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }" if value else "{}"
    return repr(value)


def _type(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{_toml(a)}`" for a in args)
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_type(a) for a in args if a is not type(None))
    if origin is tuple:
        return f"list of {_type(args[0])}s"
    if origin is dict:
        return "table"
    if dataclasses.is_dataclass(hint):
        return "table"
    return {str: "string", int: "integer", float: "number", bool: "boolean"}.get(
        hint, getattr(hint, "__name__", str(hint))
    )


def _table(hint: Any) -> type | None:
    """The dataclass a field holds: itself, in a tuple ([[list]]), or optional (``| None``)."""
    for candidate in (hint, *typing.get_args(hint)):
        if dataclasses.is_dataclass(candidate) and isinstance(candidate, type):
            return candidate
    return None


def _field_defaults(cls: type) -> types.SimpleNamespace:
    values = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        factory = f.default_factory
        values[f.name] = f.default if factory is dataclasses.MISSING else factory()
    return types.SimpleNamespace(**values)


def config_tables() -> list[tuple[str, bool, type, object]]:
    """(TOML name, is a [[list]], dataclass, an instance holding its defaults) for every table, in order."""
    from digest.config import Config

    tables: list[tuple[str, bool, type, object]] = []

    def walk(cls: type, instance: object, prefix: str) -> None:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            inner = _table(hints[f.name])
            if inner is None:
                continue
            value = getattr(instance, f.name)
            is_list = typing.get_origin(hints[f.name]) is tuple
            # A [[list]] entry has no instance of its own (a source needs one of its kinds): its fields' defaults.
            default = _field_defaults(inner) if is_list else inner() if value is None else value
            tables.append((prefix + f.name, is_list, inner, default))
            walk(inner, default, prefix + f.name + ".")

    walk(Config, Config(), "")
    return tables


def config_rows() -> list[tuple[str, str, str, str]]:
    """(key, type, default as TOML, description) for every leaf key of the config file."""
    example = _example_comments()
    rows = []
    for name, _, cls, instance in config_tables():
        hints = typing.get_type_hints(cls)
        comments = _field_comments(cls)
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if _table(hints[f.name]) is not None:
                continue
            key = f"{name}.{f.name}"
            description = comments.get(f.name) or example.get(key, "")
            rows.append((key, _type(hints[f.name]), _toml(getattr(instance, f.name)), description))
    return rows


def configuration() -> str:
    out = []
    rows = config_rows()
    for name, is_list, cls, _ in config_tables():
        header = f"[[{name}]]" if is_list else f"[{name}]"
        out.append(f"## `{header}`\n")
        doc = inspect.getdoc(cls) or ""
        if is_list:
            out.append("A list of tables: none by default; each entry's keys default as below.\n")
        if doc and not doc.startswith(cls.__name__ + "("):
            out.append(doc.split("\n\n")[0].replace("\n", " ") + "\n")
        out.append("| key | type | default | description |\n| --- | --- | --- | --- |")
        for key, kind, default, description in rows:
            table, _, leaf = key.rpartition(".")
            if table == name:
                cell = description.replace("|", "\\|")
                out.append(f"| `{leaf}` | {kind} | `{default.replace('|', '&#124;')}` | {cell} |")
        out.append("")
    return "\n".join(out)


# --- commands ----------------------------------------------------------------------------------------


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _help_of(parser: argparse.ArgumentParser, name: str) -> str:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                if choice.dest == name:
                    return choice.help or ""
    return ""


def _arguments(parser: argparse.ArgumentParser) -> list[str]:
    rows = ["| argument | description | default |", "| --- | --- | --- |"]
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        name = ", ".join(action.option_strings) or action.dest
        if action.option_strings and action.nargs != 0:
            name += " " + (action.metavar or action.dest.upper())
        if action.choices and not action.option_strings:
            name += " (" + " / ".join(map(str, action.choices)) + ")"
        default = action.default
        shown = "" if default in (None, False, [], "", argparse.SUPPRESS) else f"`{default}`"
        required = " (required)" if action.required and action.option_strings else ""
        rows.append(f"| `{name}` | {(action.help or '').replace('|', '&#124;')}{required} | {shown} |")
    return rows


def cli() -> str:
    from digest.cli import _parser

    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"  # argparse wraps usage lines to the terminal: the same page on every machine
    try:
        parser = _parser()
        out = ["## `digest`\n", (parser.description or "") + "\n", "```text", parser.format_usage().strip(), "```\n"]
        out += [*_arguments(parser), ""]
        for name, sub in _subcommands(parser).items():
            out += [f"## `digest {name}`\n", _help_of(parser, name) + "\n"]
            out += ["```text", sub.format_usage().strip(), "```\n", *_arguments(sub), ""]
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous
    return "\n".join(out)


def changelog() -> str:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    return text.split("\n", 1)[1].lstrip("\n")  # the page has its own title


GENERATORS = {"configuration": configuration, "cli": cli, "changelog": changelog}


def expand(markdown: str) -> str:
    """``markdown`` with each ``<!-- generated: NAME -->`` replaced by what NAME generates."""
    return MARKER.sub(lambda m: GENERATORS[m.group(1)](), markdown)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """The MkDocs hook: every page passes through :func:`expand` before it is rendered."""
    return expand(markdown)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    names = sys.argv[1:] or list(GENERATORS)
    for name in names:
        print(GENERATORS[name]())
