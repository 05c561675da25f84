"""Golden files for the four renderings of the example week.

Regenerate after an intended change with ``DIGEST_UPDATE_GOLDEN=1 ./scripts/test tests/test_golden.py``
and review the diff like any other change.
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from digest.cli import main

from .conftest import EXAMPLE_NOW, EXAMPLES

GOLDEN = Path(__file__).parent / "golden" / "example-week"
NAMES = ("digest.md", "digest.html", "email.html", "digest.txt")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("golden")
    shutil.copytree(EXAMPLES, work / "example")
    out = work / "preview"
    assert (
        main(["preview", "--config", str(work / "example" / "digest.toml"), "--out", str(out), "--now", EXAMPLE_NOW])
        == 0
    )
    return out


@pytest.mark.parametrize("name", NAMES)
def test_rendering_matches_golden(rendered: Path, name: str) -> None:
    actual = (rendered / name).read_text(encoding="utf-8")
    golden = GOLDEN / name
    if os.environ.get("DIGEST_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing: run with DIGEST_UPDATE_GOLDEN=1 to create it"
    expected = golden.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), str(golden), "rendered")
        )
        pytest.fail(f"{name} differs from its golden file:\n{diff}")
