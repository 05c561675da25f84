"""Every stage of a run logs its start and its time; on a terminal the progress bar names it."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest

from digest.cli import _STAGE_LABELS, _StageHandler, main

from .conftest import EXAMPLE_NOW, EXAMPLES

STAGES = ("fetch", "extract", "dedupe", "cluster", "summarize", "render")


def test_a_preview_logs_each_stage_with_its_time(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "example")
    config = str(tmp_path / "example" / "digest.toml")
    with caplog.at_level(logging.INFO, logger="digest.pipeline"):
        assert main(["preview", "--config", config, "--out", str(tmp_path / "out"), "--now", EXAMPLE_NOW]) == 0
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("digest.pipeline")]
    timed = [m["name"] for line in lines if (m := re.fullmatch(r"stage (?P<name>\w+): \d+\.\d\d s", line))]
    assert tuple(timed) == STAGES
    started = [line.removeprefix("stage: ") for line in lines if line.startswith("stage: ")]
    assert tuple(started) == STAGES, "each stage says when it starts, before its time"


def test_the_progress_bar_names_each_stage_after_the_fetches() -> None:
    shown: list[str] = []
    handler = _StageHandler(shown.append)
    log = logging.getLogger("test.stages")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        for name in ("fetch", "cluster", "render", "publish"):
            log.info("stage: %s", name)
        log.info("stage cluster: 1.25 s")  # a time, not a start
        log.info("stage: pending 2026-W48")  # not a stage the bar names
    finally:
        log.removeHandler(handler)
    assert shown == [_STAGE_LABELS["cluster"], _STAGE_LABELS["render"], _STAGE_LABELS["publish"]]
