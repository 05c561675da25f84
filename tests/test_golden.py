"""Golden files for the four renderings of the example week, in English and, from the same week, in German.

Regenerate after an intended change with ``DIGEST_UPDATE_GOLDEN=1 ./scripts/test tests/test_golden.py``
(each file it rewrites fails its test, so an update never passes as a check), review the diff like any
other change, and run the tests again without the variable.
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from digest.cli import main

from .conftest import EXAMPLE_NOW, EXAMPLES

GOLDEN = Path(__file__).parent / "golden"
NAMES = ("digest.md", "digest.html", "email.html", "digest.txt")
# The example's own configuration, and the same with readers who read German.
LANGUAGES = {"example-week": "", "example-week-de": "de"}


@pytest.fixture(scope="module", params=sorted(LANGUAGES))
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    work = tmp_path_factory.mktemp("golden")
    shutil.copytree(EXAMPLES, work / "example")
    config = work / "example" / "digest.toml"
    if language := LANGUAGES[request.param]:
        text = config.read_text(encoding="utf-8")
        assert "\nlanguage" not in text
        config.write_text(text.replace("[digest]\n", f'[digest]\nlanguage = "{language}"\n', 1), encoding="utf-8")
    out = work / "preview"
    assert main(["preview", "--config", str(config), "--out", str(out), "--now", EXAMPLE_NOW]) == 0
    return request.param, out


@pytest.mark.parametrize("name", NAMES)
def test_rendering_matches_golden(rendered: tuple[str, Path], name: str) -> None:
    folder, out = rendered
    actual = (out / name).read_text(encoding="utf-8")
    golden = GOLDEN / folder / name
    expected = golden.read_text(encoding="utf-8") if golden.exists() else None
    if actual == expected:
        return
    if os.environ.get("DIGEST_UPDATE_GOLDEN"):
        # Compared first, written after, and failed all the same: a run that rewrote a golden file checked
        # nothing, so it must not pass; the next run without the variable checks the new file.
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
        pytest.fail(f"{golden} updated: review its diff, then run the tests again without DIGEST_UPDATE_GOLDEN")
    if expected is None:
        pytest.fail(f"{golden} is missing: run with DIGEST_UPDATE_GOLDEN=1 to create it")
    diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), str(golden), "rendered"))
    pytest.fail(f"{name} differs from its golden file:\n{diff}")
