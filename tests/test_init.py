"""`digest init` pins the release it came from and takes the site's public URL; the site names itself by
an IRI and says when it has no URL."""

from __future__ import annotations

import io
import logging
import re
import tomllib
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import digest
from digest import load_config
from digest.cli import main
from digest.errors import ConfigError
from digest.render import environment
from digest.scaffold import check_base_url, init_project
from digest.site import build_site, feed_id

from .digests import issue, make_digest

ATOM = "{http://www.w3.org/2005/Atom}"
# An IRI (RFC 3987) has a scheme and never white space, quotes or angle brackets.
IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s\"<>]+")


def test_requirements_pin_the_released_distribution(tmp_path: Path) -> None:
    init_project(tmp_path)
    lines = [x for x in (tmp_path / "requirements.txt").read_text(encoding="utf-8").splitlines() if x[:1] != "#"]
    assert lines == [f"digest-news=={digest.__version__}"]


def test_base_url_is_written_to_the_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path), "--base-url", "https://ann.github.io/weekly"]) == 0
    config = load_config(tmp_path / "digest.toml")
    assert config.site.base_url == "https://ann.github.io/weekly/"
    assert "base_url is empty" not in capsys.readouterr().out


def test_init_asks_for_the_url_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal("https://news.example/\n"))
    assert main(["init", str(tmp_path)]) == 0
    assert load_config(tmp_path / "digest.toml").site.base_url == "https://news.example/"


def test_without_a_terminal_the_url_is_left_empty_and_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path)]) == 0
    assert load_config(tmp_path / "digest.toml").site.base_url == ""
    assert "site.base_url is empty" in capsys.readouterr().out


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "ann.github.io/weekly",
        "https://",
        'https://x.example/"\n[digest]\ntitle = "pwned',  # would end the TOML string and add a table
        "https://x.example/<script>",
        "https://x.example/\x00",
        "https://x.example/a\\b",
        "https://x.example/?page=1",
        "https://x.example/#top",
    ],
)
def test_a_url_that_is_not_a_site_is_refused_and_nothing_written(
    tmp_path: Path, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ConfigError, match=r"site\.base_url"):
        check_base_url(url)
    assert main(["init", str(tmp_path / "new"), "--base-url", url]) == 1
    assert "Error: site.base_url: not a public URL" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_the_written_toml_keeps_the_url_a_string(tmp_path: Path) -> None:
    init_project(tmp_path, base_url="https://x.example/a'b&c=%22é")
    data = tomllib.loads((tmp_path / "digest.toml").read_text(encoding="utf-8"))
    assert data["site"]["base_url"] == "https://x.example/a'b&c=%22é/"
    assert set(data) == {"digest", "sources", "email", "site"}


def _site(tmp_path: Path, title: str, base_url: str) -> ET.Element:
    record = issue(make_digest(2, week=1))
    root = build_site([record], target=tmp_path, env=environment(), site_title=title, base_url=base_url, now=record.end)
    return ET.parse(root / "feed.xml").getroot()


@pytest.mark.parametrize("title", ["My Weekly Digest", "Tom & Jerry's <Weekly>", "Zeitung – Woche"])
def test_without_a_url_the_feed_id_is_a_stable_iri_of_the_title(tmp_path: Path, title: str) -> None:
    feed = _site(tmp_path / "a", title, "")
    found = feed.findtext(f"{ATOM}id") or ""
    assert IRI.fullmatch(found), found
    assert found.startswith("urn:uuid:") and uuid.UUID(found.removeprefix("urn:uuid:")).version == 5
    assert found == feed_id(title, "") == (_site(tmp_path / "b", title, "").findtext(f"{ATOM}id"))
    assert found != feed_id(title + "!", "")
    for entry in feed.iter(f"{ATOM}entry"):
        assert IRI.fullmatch(entry.findtext(f"{ATOM}id") or "")


def test_an_empty_base_url_is_warned_about_by_its_key(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="digest.site"):
        _site(tmp_path / "bare", "Weekly", "")
    [record] = [r for r in caplog.records if r.name == "digest.site"]
    assert "site.base_url is empty" in record.getMessage() and "sitemap" in record.getMessage()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="digest.site"):
        feed = _site(tmp_path / "url", "Weekly", "https://news.example/weekly/")
    assert not [r for r in caplog.records if r.name == "digest.site"]
    assert feed.findtext(f"{ATOM}id") == "https://news.example/weekly/"
