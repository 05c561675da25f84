"""The wheel carries the default theme, so an installed digest renders from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

from .conftest import EXAMPLE_NOW, EXAMPLES, ROOT

# A subprocess, a browser, a wheel build or a server: run by ./scripts/test and CI, left out by -m 'not slow'.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel, built as the release workflow builds them (``python -m build``)."""
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: the build backend (hatchling, in the dev extra) is already here; no index needed.
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    (built,) = dist.glob("digest_news-*-py3-none-any.whl")
    return built


@pytest.fixture(scope="module")
def sdist(dist: Path) -> Path:
    (built,) = dist.glob("digest_news-*.tar.gz")
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


def test_twine_accepts_both(dist: Path) -> None:
    # What PyPI would refuse (metadata, the README's rendering) fails here, not in the release workflow.
    files = sorted(str(p) for p in dist.iterdir())
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *files], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_sdist_builds_a_wheel_with_the_same_files(sdist: Path, wheel: Path, tmp_path: Path) -> None:
    # A distributor (or pip, where no wheel fits) builds from the sdist: it must carry what the wheel does.
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        archive.extractall(tmp_path, filter="data")
    top = sdist.name.removesuffix(".tar.gz")
    assert {f"{top}/LICENSE", f"{top}/CHANGELOG.md", f"{top}/templates/page.html.j2"} <= set(names)
    out = tmp_path / "rebuilt"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", out, tmp_path / top],
        check=True,
        capture_output=True,
    )
    (rebuilt,) = out.glob("*.whl")
    assert _contents(rebuilt) == _contents(wheel)


def _contents(wheel: Path) -> set[str]:
    return {n for n in zipfile.ZipFile(wheel).namelist() if ".dist-info/" not in n}


def test_the_wheel_carries_the_license_and_its_metadata_the_version(wheel: Path) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    archive = zipfile.ZipFile(wheel)
    info = f"digest_news-{version}.dist-info"
    assert f"{info}/licenses/LICENSE" in archive.namelist()
    metadata = archive.read(f"{info}/METADATA").decode()
    assert "Name: digest-news\n" in metadata and f"Version: {version}\n" in metadata


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel installed; the bin folder of its ``digest``.

    The dependencies come from this interpreter's site-packages through a path entry (no index, no
    minutes of downloads); the package itself only from the wheel: a path entry's own .pth files, and
    so an editable install of the checkout, are not read.
    """
    env = tmp_path_factory.mktemp("venv")
    venv.create(env, with_pip=True)
    bin_dir = env / "bin"
    subprocess.run(
        [bin_dir / "python", "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    purelib = subprocess.run(
        [bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(purelib) / "_test_dependencies.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    return bin_dir


def _digest(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([bin_dir / "digest", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)


def test_the_installed_command_prints_its_version(installed: Path, tmp_path: Path) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    result = _digest(installed, "--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"digest {version}\n"
    where = subprocess.run(
        [installed / "python", "-c", "import digest; print(digest.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(installed.parent)), "the test must exercise the wheel, not the checkout"


def test_the_installed_command_inits_and_dry_runs_a_week(installed: Path, tmp_path: Path) -> None:
    project = tmp_path / "weekly"
    result = _digest(installed, "init", str(project), "--base-url", "https://ann.example/weekly/", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    config = project / "digest.toml"
    text = config.read_text(encoding="utf-8")
    # The starter's example feed is on the internet; a dry run here reads a feed file and a folder instead.
    feeds = project / "feeds"
    feeds.mkdir()
    (feeds / "harbor.xml").write_bytes((EXAMPLES / "feeds" / "harbor-tech.xml").read_bytes())
    (project / "saved").mkdir()
    (project / "saved" / "notes.md").write_bytes((EXAMPLES / "saved" / "aurora-notes.md").read_bytes())
    text = text.replace('url = "https://example.org/feed.xml"', 'path = "feeds/harbor.xml"')
    text = text.replace('# [[sources]]\n# folder = "saved"', '[[sources]]\nfolder = "saved"')
    assert 'path = "feeds/harbor.xml"' in text and '\nfolder = "saved"' in text
    config.write_text(text, encoding="utf-8")
    result = _digest(installed, "run", "--config", str(config), "--now", EXAMPLE_NOW, "--dry-run", cwd=project)
    assert result.returncode == 0, result.stderr
    outputs = sorted(p.name for p in (project / "output").rglob("*.html"))
    assert "digest.html" in outputs and "email.html" in outputs, outputs
