"""Starting the command loads only what the command needs: `digest init` and `--help` never wait for numpy."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

import digest

# What clustering, ranking, embeddings and reading dates bring in: seconds of imports only a run needs.
HEAVY = ("numpy", "scipy", "sklearn", "torch", "sentence_transformers", "dateparser", "wordllama", "babel.dates")


def _loaded_after(code: str) -> list[str]:
    """The heavy modules a fresh interpreter holds after running ``code`` (which must not print)."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout.splitlines()[-1])
    return loaded


@pytest.mark.slow
def test_importing_the_command_loads_no_heavy_module() -> None:
    assert _loaded_after("import digest.cli") == []


@pytest.mark.slow
def test_digest_init_works_without_loading_them(tmp_path: Path) -> None:
    target = tmp_path / "new"
    code = (
        "import contextlib, io\nfrom digest.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    assert main(['init', {str(target)!r}]) == 0"
    )
    assert _loaded_after(code) == []
    assert (target / "digest.toml").is_file()


@pytest.mark.slow
def test_the_probe_sees_heavy_modules_when_they_are_loaded() -> None:
    # Without this, a probe that never found anything would pass the tests around it.
    assert "numpy" in _loaded_after("import digest\ndigest.Pipeline")


@pytest.mark.slow
def test_rendering_and_the_site_load_no_scikit_learn() -> None:
    loaded = _loaded_after("import digest.render, digest.site")
    assert "sklearn" not in loaded and "torch" not in loaded


@pytest.mark.slow
def test_a_bad_config_is_reported_before_the_pipeline_is_loaded(tmp_path: Path) -> None:
    config = tmp_path / "digest.toml"
    config.write_text('[digest]\ntitle = "Weekly"\nwindow_days = "seven"\n', encoding="utf-8")
    code = (
        "import contextlib, io\nfrom digest.cli import main\n"
        f"with contextlib.redirect_stderr(io.StringIO()):\n    assert main(['run', '--config', {str(config)!r}]) == 1"
    )
    assert _loaded_after(code) == []
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "digest.cli", "run", "--config", str(config)], capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    assert done.returncode == 1 and done.stderr.startswith("Error: ")
    assert elapsed < 2.0, f"{elapsed:.2f} s to report a config error"  # about 0.3 s on an idle machine


@pytest.mark.slow
def test_a_config_without_sources_is_reported_before_the_pipeline_is_loaded(tmp_path: Path) -> None:
    config = tmp_path / "digest.toml"
    config.write_text('[digest]\ntitle = "Weekly"\n', encoding="utf-8")
    code = (
        "import contextlib, io\nfrom digest.cli import main\n"
        f"with contextlib.redirect_stderr(io.StringIO()):\n    assert main(['run', '--config', {str(config)!r}]) == 1"
    )
    assert _loaded_after(code) == []
    assert (tmp_path / "output" / "report.json").is_file()


@pytest.mark.slow
def test_a_held_lock_is_reported_before_the_pipeline_is_loaded(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_text("<rss version='2.0'><channel><title>T</title></channel></rss>")
    config = tmp_path / "digest.toml"
    config.write_text('[digest]\ntitle = "Weekly"\n[[sources]]\npath = "feed.xml"\n', encoding="utf-8")
    code = (
        "import contextlib, io\nfrom digest.cli import main\nfrom digest.store import open_store\n"
        f"with open_store({str(tmp_path / 'digest.db')!r}) as held, held.lock():\n"
        "    err = io.StringIO()\n"
        "    with contextlib.redirect_stderr(err):\n"
        f"        assert main(['run', '--config', {str(config)!r}]) == 1\n"
        "    assert 'another digest run is in progress' in err.getvalue(), err.getvalue()"
    )
    assert _loaded_after(code) == []


def test_every_public_name_resolves() -> None:
    assert digest.__all__
    for name in digest.__all__:
        value = getattr(digest, name)
        assert value.__name__ == name and value.__module__.startswith("digest."), name
    star: dict[str, object] = {}
    exec("from digest import *", star)
    assert set(digest.__all__) <= set(star)
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = digest.no_such_name  # type: ignore[attr-defined]
