"""The documentation site: its references are generated from the code, and it builds with --strict."""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from digest.cli import _parser

from .conftest import ROOT
from .test_config_defaults import _default, _readme_config


def _load_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_reference", ROOT / "scripts" / "docs_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HOOK = _load_hook()


def _leaf_keys(data: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for entry in value:
                keys |= _leaf_keys(entry, f"{prefix}{key}.")
        elif isinstance(value, dict) and key not in ("source_weights", "keyword_weights"):
            keys |= _leaf_keys(value, f"{prefix}{key}.")
        else:
            keys.add(prefix + key)
    return keys


def test_the_reference_lists_every_key_of_the_config_and_nothing_else() -> None:
    generated = {key for key, *_ in HOOK.config_rows()}
    assert generated == _leaf_keys(_readme_config())
    assert len(generated) > 100


def test_every_default_in_the_reference_is_the_one_digest_uses() -> None:
    for key, _, default, description in HOOK.config_rows():
        value = tomllib.loads(f"v = {default}")["v"]
        expected = _default(key)
        expected = list(expected) if isinstance(expected, tuple) else expected
        assert value == expected, key
        assert description, f"{key} has no description: comment its field, or the key in docs/configuration.md"


def test_the_generated_tables_are_markdown_tables() -> None:
    page = HOOK.configuration()
    assert "## `[fetch]`" in page and "## `[[sources]]`" in page and "## `[email.smtp]`" in page
    for line in page.splitlines():
        if line.startswith("| `"):
            assert line.count(" | ") == 3, line  # a | inside a cell is escaped


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_the_command_reference_has_every_command_and_option() -> None:
    page = HOOK.cli()
    parser = _parser()
    for name, sub in _commands(parser).items():
        section = page.split(f"## `digest {name}`\n", 1)[1].split("\n## ", 1)[0]
        for action in sub._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert f"`{option}" in section or f", {option}" in section, (name, option)
    assert "`--version`" in page


def test_the_changelog_page_is_the_changelog() -> None:
    assert HOOK.expand("<!-- generated: changelog -->").startswith("All notable changes")


def test_every_page_is_in_the_nav_and_every_nav_entry_exists() -> None:
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]
    listed = set(re.findall(r"[\w/-]+\.md", str(nav)))
    pages = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")}
    assert listed == pages


@pytest.mark.slow
def test_the_site_builds_strictly(tmp_path: Path) -> None:
    pytest.importorskip("material", reason="the docs extra is not installed (pip install -e '.[docs]')")
    out = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    reference = (out / "reference" / "configuration" / "index.html").read_text(encoding="utf-8")
    assert "quarantine_after" in reference and "<!-- generated" not in reference
    assert "digest unsubscribe" in (out / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    assert (out / "tutorial" / "index.html").is_file() and (out / "changelog" / "index.html").is_file()
