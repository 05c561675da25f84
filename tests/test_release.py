"""The release workflow: tested, built once, checked, published by trusted publishing, the action's major tag
moved; and the project's own workflows pass actionlint."""

from __future__ import annotations

import re
import subprocess

import pytest

from .conftest import ROOT
from .test_schedule import _actionlint, _assert_pinned, _workflow

WORKFLOWS = ROOT / ".github" / "workflows"
RELEASE = WORKFLOWS / "release.yml"


def test_it_runs_on_a_published_release_with_no_default_permissions() -> None:
    workflow = _workflow(RELEASE)
    assert workflow["on"] == {"release": {"types": ["published"]}}
    assert workflow["permissions"] == {}
    assert _assert_pinned(RELEASE) >= 5


def test_publishing_waits_for_the_tests_and_the_checked_build() -> None:
    jobs = _workflow(RELEASE)["jobs"]
    assert jobs["build"]["needs"] == "test" and jobs["publish"]["needs"] == "build"
    build = "\n".join(str(step.get("run", "")) for step in jobs["build"]["steps"])
    assert "python -m build" in build and "twine check --strict dist/*" in build
    assert "CHANGELOG.md" in build and '"v$version"' in build, "the tag must be the pyproject version"
    assert "./scripts/test" in str(jobs["test"]["steps"])


def test_only_the_publish_job_holds_an_oidc_token_in_the_protected_environment() -> None:
    jobs = _workflow(RELEASE)["jobs"]
    holders = [name for name, job in jobs.items() if job.get("permissions", {}).get("id-token") == "write"]
    assert holders == ["publish"]
    publish = jobs["publish"]
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    assert publish["environment"]["url"] == "https://pypi.org/p/digest-news"
    [step] = [s for s in publish["steps"] if "gh-action-pypi-publish" in str(s.get("uses"))]
    assert "with" not in step or "password" not in step["with"], "trusted publishing: no API token"


def test_a_release_moves_the_action_major_tag_but_a_prerelease_does_not() -> None:
    job = _workflow(RELEASE)["jobs"]["major-tag"]
    assert job["needs"] == "publish" and job["permissions"] == {"contents": "write"}
    assert job["if"] == "${{ !github.event.release.prerelease }}"
    script = job["steps"][-1]["run"]
    assert 'major="${TAG%%.*}"' in script and 'git push --force origin "refs/tags/$major"' in script
    # What the shell does with the tag of a release: v1.4.2 moves v1.
    moved = subprocess.run(
        ["bash", "-c", 'TAG=v1.4.2; echo "${TAG%%.*}"'], capture_output=True, text=True, check=True
    ).stdout
    assert moved == "v1\n"


def test_the_changelog_keeps_a_changelog() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n") and "keepachangelog.com/en/1.1.0" in text
    headings = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, re.M)
    assert headings and headings[0][0] == "Unreleased"
    for name, date in headings[1:]:
        assert re.fullmatch(r"\d+\.\d+\.\d+", name) and date, name
    assert re.findall(r"^### (\w+)$", text, re.M), "changes are grouped (Added, Changed, Fixed, …)"
    for name, _ in headings:
        assert re.search(rf"^\[{re.escape(name)}\]: https://", text, re.M), f"no link for [{name}]"


def test_the_license_is_mit_in_the_authors_name() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n") and "Copyright (c) 2026 The digest authors" in text


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(p.name for p in WORKFLOWS.glob("*.yml")))
def test_the_project_workflows_pass_actionlint(path: str) -> None:
    actionlint = _actionlint()
    result = subprocess.run(
        [actionlint, "-no-color", f".github/workflows/{path}"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_project_workflow_pins_its_actions() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        _assert_pinned(path)
