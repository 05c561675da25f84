"""Starting the command loads only what the command needs: `digest init` and `--help` never wait for numpy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import digest

# What clustering, ranking and embeddings bring in: seconds of imports no command but a run needs.
HEAVY = ("numpy", "scipy", "sklearn", "torch", "sentence_transformers")


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
    # Without this, a probe that never found anything would pass the two tests above.
    assert "numpy" in _loaded_after("import digest\ndigest.build_week")


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
