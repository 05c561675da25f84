"""The hostile-fetch benchmark, run small (20 MB bombs, a 1 MB cap): every attack must hold."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from .conftest import ROOT

# A subprocess, a browser, a wheel build or a server: run by ./scripts/test and CI, left out by -m 'not slow'.
pytestmark = pytest.mark.slow


def test_every_attack_holds_against_a_real_dry_run() -> None:
    command = [sys.executable, str(ROOT / "benchmarks" / "hostile_fetch.py"), "--bomb-mb", "20"]
    command += ["--max-bytes", "1000000", "--timeout", "3"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    last = result.stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"cases=(\d+) held=(\d+) peak_mb=(\d+)", last)
    assert match, result.stdout + result.stderr
    cases, held, _ = map(int, match.groups())
    assert cases >= 20 and held == cases, result.stdout
    assert result.returncode == 0
