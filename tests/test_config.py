"""Config loading: defaults, unknown keys, wrong types, missing paths — each a one-line error."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.cli import main
from digest.config import Config, load_config
from digest.errors import ConfigError

from .conftest import EXAMPLES


def _load(tmp_path: Path, body: str) -> Config:
    path = tmp_path / "digest.toml"
    path.write_text(body, encoding="utf-8")
    return load_config(path)


def test_empty_config_holds_every_default(tmp_path: Path) -> None:
    config = _load(tmp_path, "")
    assert config.digest.window_days == 7
    assert config.email.smtp is None
    assert config.resolve("x.db") == (tmp_path / "x.db").resolve()


def test_example_config_loads_with_paths_relative_to_the_file() -> None:
    config = load_config(EXAMPLES / "digest.toml")
    assert [s.kind for s in config.sources] == ["opml", "folder"]
    assert config.resolve(config.sources[1].folder) == (EXAMPLES / "saved").resolve()


@pytest.mark.parametrize(
    ("body", "key", "fragment"),
    [
        ("[digest]\ntitel = 'x'\n", "digest.titel", "unknown key"),
        ("colour = 'red'\n", "colour", "unknown key"),
        ("[digest]\nwindow_days = 'seven'\n", "digest.window_days", "expected an integer"),
        ("[email]\nto = 'a@example.org'\n", "email.to", "expected a list"),
        ("[[sources]]\nfolder = 'nowhere'\n", "sources[0].folder", "no such file or folder"),
        ("[[sources]]\nurl = 'ftp://example.org/feed'\n", "sources[0].url", "not an http(s) URL"),
        ("[[sources]]\nname = 'only a name'\n", "sources[0]", "exactly one of"),
        ("[email.smtp]\nsecurity = 'tls'\n", "email.smtp.security", "unknown security"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, body: str, key: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, body)
    assert info.value.key == key
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_cli_turns_config_errors_into_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "digest.toml"
    path.write_text("[digest]\nbogus = 1\n", encoding="utf-8")
    assert main(["run", "--config", str(path), "--now", "2026-11-23T09:00:00Z"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and "digest.bogus" in err and "unknown key" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_cli_reports_a_missing_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "--config", str(tmp_path / "absent.toml"), "--out", str(tmp_path / "o")]) == 1
    assert "Error: " in capsys.readouterr().err


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        _load(tmp_path, "[digest\n")
