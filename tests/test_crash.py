"""The crash-consistency benchmark, run briefly: SIGKILL at the riskiest stages, then count."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from .conftest import ROOT

# A subprocess, a browser, a wheel build or a server: run by ./scripts/test and CI, left out by -m 'not slow'.
pytestmark = pytest.mark.slow


def test_killed_runs_lose_and_duplicate_nothing() -> None:
    stages = "accepted,smtp,publish"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "crash_consistency.py"), "--runs", "3", "--stages", stages],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    last = result.stdout.strip().splitlines()[-1]
    figures = dict(re.findall(r"(\w+)=(\d+)", last))
    assert figures == {**figures, "runs": "3", "lost": "0", "duplicated": "0", "corrupt": "0"}, result.stderr
    assert "accepted=1" in result.stdout and "smtp=1" in result.stdout and "publish=1" in result.stdout
    assert int(figures["resent"]) >= 1, "the kill right after the server accepted must show as a re-send"
    assert result.returncode == 0


def test_killed_approvals_and_channel_posts_send_nothing_early_and_lose_no_post() -> None:
    stages = "posted,approve"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "crash_consistency.py"),
            *("--runs", "2", "--stages", stages, "--approval"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    last = result.stdout.strip().splitlines()[-1]
    figures = dict(re.findall(r"(\w+)=(\d+)", last))
    zero = {"lost": "0", "duplicated": "0", "corrupt": "0", "unposted": "0", "early": "0"}
    assert figures == {**figures, "runs": "2", **zero}, result.stderr
    kills = next(line for line in result.stdout.splitlines() if line.startswith("kills by stage"))
    assert dict(re.findall(r"(\w+)=(\d+)", kills)) == {"posted": "1", "approve": "1"}
    assert int(figures["reposted"]) >= 1, "the kill right after the webhook took the post must show as a re-post"
    assert result.returncode == 0
