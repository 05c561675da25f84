"""The wheel carries the default theme, so an installed digest renders from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import EXAMPLE_NOW, EXAMPLES, ROOT

# A subprocess, a browser, a wheel build or a server: run by ./scripts/test and CI, left out by -m 'not slow'.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("digest_news-*.whl")
    return built


def test_wheel_contains_the_templates(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for template in ("digest.md.j2", "digest.txt.j2", "email.html.j2", "page.html.j2"):
        assert f"digest/templates/{template}" in names
    for language in ("de", "fr", "es", "pt"):  # compiled catalogs: nothing is compiled at install time
        assert f"digest/locale/{language}/LC_MESSAGES/digest.mo" in names


def test_installed_package_previews_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    # -I would drop PYTHONPATH; -P keeps the source checkout (the cwd) off sys.path instead.
    result = subprocess.run(
        [
            sys.executable,
            "-P",
            "-c",
            "import digest.cli, sys; print(digest.cli.__file__); sys.exit(digest.cli.main())",
            "preview",
            "--config",
            str(EXAMPLES / "digest.toml"),
            "--out",
            str(elsewhere / "out"),
            "--now",
            EXAMPLE_NOW,
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(str(site)), "the test must exercise the installed copy, not the checkout"
    assert (elsewhere / "out" / "digest.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_wheel_marks_the_package_typed(wheel: Path) -> None:
    # PEP 561: without the marker, type checkers ignore the annotations of an installed digest.
    assert "digest/py.typed" in zipfile.ZipFile(wheel).namelist()


def test_wheel_contains_what_digest_init_writes(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for name in ("digest.toml", "digest.yml", "gitignore", "requirements.txt", "templates-README.md"):
        assert f"digest/scaffold/{name}" in names
