"""One version, written once in pyproject.toml: the package, `digest --version` and the User-Agent read it."""

from __future__ import annotations

import tomllib
from importlib import metadata

import pytest

import digest
from digest.cli import main
from digest.config import FetchConfig

from .conftest import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_the_version_is_the_one_in_pyproject() -> None:
    assert PROJECT["name"] == digest.DISTRIBUTION
    assert digest.__version__ == PROJECT["version"]
    assert "version" not in PROJECT.get("dynamic", [])


def test_digest_version_prints_it(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"digest {PROJECT['version']}\n"


def test_the_user_agent_names_the_release() -> None:
    assert FetchConfig().agent == f"digest/{PROJECT['version']} (+https://github.com/digest-news/digest)"
    assert FetchConfig(user_agent="Harbor/2").agent == "Harbor/2"


def test_an_installed_distribution_is_read_from_its_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metadata, "version", lambda name: "9.8.7" if name == "digest-news" else "")  # read at call
    assert digest._version() == "9.8.7"


def test_the_distribution_name_is_not_the_taken_one() -> None:
    # "digest" on PyPI is an unrelated project: a `pip install digest` would fetch it, not this.
    assert PROJECT["name"] != "digest" and PROJECT["scripts"] == {"digest": "digest.cli:main"}
