"""Config loading: defaults, unknown keys, wrong types, missing paths — each a one-line error."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from digest.cli import main
from digest.config import (
    ClusterConfig,
    Config,
    DedupeConfig,
    DigestSettings,
    FetchConfig,
    FilterRule,
    SiteConfig,
    SourceConfig,
    SummaryConfig,
    load_config,
    parse_config,
)
from digest.config.sections import choices
from digest.errors import ConfigError

from .conftest import EXAMPLES, LoopbackConfig, SmtpServer


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


def _tables(cls: type = Config, key: str = "") -> Iterator[tuple[str, type]]:
    """Every table of the config file as (its TOML key, its class), nested ones and list items included."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        inner = next((a for a in typing.get_args(hint) if dataclasses.is_dataclass(a)), hint)
        if dataclasses.is_dataclass(inner):
            item = f"{key}{f.name}[0]" if typing.get_origin(hint) is tuple else f"{key}{f.name}"
            yield item, typing.cast(type, inner)
            yield from _tables(typing.cast(type, inner), f"{item}.")


# What a table needs besides the value under test to be a valid table.
_MINIMAL: dict[type, dict[str, object]] = {FilterRule: {"keywords": ["x"]}, SourceConfig: {"url": "https://e.org/"}}
_CHOICES = [(key, cls, name) for key, cls in _tables() for name in choices(cls)]


def test_every_choice_is_a_literal_checked_in_python_and_in_toml() -> None:
    found = {f"{key}.{name}" for key, _, name in _CHOICES}
    assert found == {
        "cluster.representation",
        "summary.backend",
        "email.mode",
        "email.brief",
        "email.smtp.security",
        "filters[0].action",
    }


@pytest.mark.parametrize(("key", "cls", "name"), _CHOICES)
def test_an_unknown_choice_names_the_field_and_the_words_it_takes(key: str, cls: type, name: str) -> None:
    words = choices(cls)[name]
    with pytest.raises(ConfigError) as built:
        cls(**{**_MINIMAL.get(cls, {}), name: "bogus"})
    assert built.value.key == name
    data: dict[str, Any] = {**_MINIMAL.get(cls, {}), name: "bogus"}
    for part in reversed(key.split(".")):
        data = {part.removesuffix("[0]"): [data] if part.endswith("[0]") else data}
    with pytest.raises(ConfigError) as loaded:
        parse_config(data)
    assert loaded.value.key == f"{key}.{name}"
    assert loaded.value.message == built.value.message == f"unknown {name} 'bogus'"
    assert all(repr(word) in loaded.value.hint for word in words)
    for word in words:  # each word is taken (a word may need other settings: "llm" an endpoint)
        try:
            cls(**{**_MINIMAL.get(cls, {}), name: word})
        except ConfigError as exc:
            assert exc.key != name


@pytest.mark.parametrize(
    ("build", "key", "fragment"),
    [
        (lambda: Config(sources=(SourceConfig(),)), "", "exactly one of url, path, opml, folder"),
        (lambda: SourceConfig(url="https://a.org/", path="feed.xml"), "", "exactly one of"),
        (lambda: Config(sources=(SourceConfig(url="ftp://e.org/feed"),)), "sources[0].url", "not an http(s) URL"),
        (lambda: Config(sources=(SourceConfig(path="no/such.xml"),)), "sources[0].path", "no such file"),
        (lambda: ClusterConfig(entity_weight=2.0), "entity_weight", "between 0 and 1"),
        (lambda: ClusterConfig(lead_words=-1), "lead_words", "at least 0"),
        (lambda: DedupeConfig(num_perm=30, bands=16), "num_perm", "multiple of bands"),
        (lambda: FetchConfig(per_host=0), "per_host", "greater than 0"),
        (lambda: FetchConfig(allow_networks=("10.0.0.0/33",)), "allow_networks", "not a network"),
        (lambda: FilterRule(), "", "at least one criterion"),
        (lambda: FilterRule(patterns=("(",)), "patterns", "not a regular expression"),
        (lambda: SummaryConfig(backend="llm"), "llm", "endpoint and a model"),
        (lambda: SiteConfig(per_page=0), "per_page", "at least 1"),
        (lambda: DigestSettings(language="xx-nonsense"), "language", "unknown language"),
        (lambda: DigestSettings(window_days=30), "max_catch_up_days", "at least window_days"),
        (lambda: Config(cluster=ClusterConfig(semantic_model="no-such-model")), "cluster.semantic_model", "model"),
    ],
)
def test_a_config_built_in_python_is_checked_like_a_file(build: Callable[[], object], key: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        build()
    assert info.value.key == key
    assert fragment in str(info.value)


def test_every_default_table_is_valid() -> None:
    # Each table's defaults make a valid table, except those that need the user to say what they are.
    for _, cls in _tables():
        if cls not in _MINIMAL:
            cls()
    assert Config() == parse_config({}, base_dir=".")


def test_the_loopback_config_file_loads_as_the_config_the_fixture_builds(
    loopback_config: LoopbackConfig, smtp_server: SmtpServer
) -> None:
    (loopback_config.base_dir / "wire.xml").write_text("<rss/>", encoding="utf-8")
    tables: dict[str, Any] = {
        "digest": {"title": 'Quote " and ünïcode', "max_catch_up_days": 14},
        "sources": [{"path": "wire.xml", "name": "Wire"}, {"url": "http://127.0.0.1:9/feed.xml"}],
        "filters": [{"name": "sponsored", "keywords": ["sponsored"]}],
        "fetch": {"retries": 0, "timeout": 2.5},
        "email": {"to": ["bob@example.org"], "remote_images": False},
        "rank": {"keyword_weights": {"ferry": 2.0}},
    }
    config = loopback_config(**tables, smtp=smtp_server)
    assert load_config(loopback_config.write(**tables, smtp=smtp_server)) == config
    # Tables merge over the base key by key; a list replaces; None removes a key.
    assert config.digest.state == "state.db" and config.digest.max_catch_up_days == 14
    assert config.fetch.allow_networks == ("127.0.0.1/32",) and config.fetch.retries == 0
    assert config.email.sender == "Loopback Weekly <weekly@example.org>" and config.email.to == ("bob@example.org",)
    assert config.email.smtp is not None and config.email.smtp.port == smtp_server.port
    assert loopback_config().email.smtp is None, "without smtp=, mail goes to the outbox folder"
    assert loopback_config(fetch={"allow_networks": None}).fetch.allow_networks == ()
    with pytest.raises(ConfigError, match="retries"):
        loopback_config(fetch={"retries": -1})
