"""Every stage of a run is announced once, in the stated order; on a terminal the progress bar names it."""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest import Pipeline, Services, load_config
from digest.cli import _STAGE_LABELS
from digest.pipeline import STAGES

from .conftest import EXAMPLES, FeedServer, LoopbackConfig, SmtpServer

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # the examples' week
WEEK = ("gather", "select", "dedupe", "cluster", "rank", "summarize", "render")


def test_a_preview_reports_each_stage_of_the_week_in_order(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "example")
    config = load_config(tmp_path / "example" / "digest.toml")
    seen: list[str] = []
    with caplog.at_level(logging.INFO, logger="digest.pipeline"):
        Pipeline(config, Services(on_stage=seen.append)).preview(tmp_path / "out", NOW)
    assert tuple(seen) == WEEK
    timed = [r.args[0] for r in caplog.records if r.msg == "stage %s: %.2f s" and isinstance(r.args, tuple)]
    assert tuple(timed) == WEEK, "each stage's time is logged when it ends"


def test_a_run_goes_through_every_stage_once_in_the_stated_order(
    loopback_config: LoopbackConfig, feed_server: FeedServer, smtp_server: SmtpServer
) -> None:
    config = loopback_config(
        digest={"title": "Stages"}, sources=[{"opml": feed_server.url("subscriptions.opml")}], smtp=smtp_server
    )
    seen: list[str] = []
    report = Pipeline(config, Services(env={}, on_stage=seen.append)).run(NOW)
    assert report.status == "sent"
    # Nothing pending, no approval asked, no channels: every other stage, once.
    assert seen == [s for s in STAGES if s not in ("approve", "resume", "held", "post", "posted")]


def test_every_stage_has_a_label_for_the_progress_bar() -> None:
    assert set(_STAGE_LABELS) == set(STAGES)
