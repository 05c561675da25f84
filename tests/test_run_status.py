"""A run's status is a RunStatus; report.json keeps the words it always wrote."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from digest.models import RunReport, RunStatus

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


def test_report_json_writes_the_status_words() -> None:
    words = {
        s: RunReport(digest_id="2026-W48", now=NOW, dry_run=False, status=s).to_dict()["status"] for s in RunStatus
    }
    assert words == {
        RunStatus.PENDING: "",
        RunStatus.SENT: "sent",
        RunStatus.NOTHING_NEW: "nothing_new",
        RunStatus.SOURCES_FAILED: "sources_failed",
        RunStatus.PARTIAL: "partial",
        RunStatus.FAILED: "failed",
        RunStatus.DRY_RUN: "dry_run",
        RunStatus.TEST_SEND: "test_send",
        RunStatus.ERROR: "error: ",
    }
    assert all(type(word) is str for word in words.values())


def test_an_error_is_written_after_the_word_error() -> None:
    report = RunReport(digest_id="", now=NOW, dry_run=False, status=RunStatus.ERROR, error="another digest run holds")
    assert json.loads(json.dumps(report.to_dict()))["status"] == "error: another digest run holds"


def test_a_status_given_as_its_word_is_the_member_and_other_words_are_refused() -> None:
    report = RunReport(digest_id="", now=NOW, dry_run=False, status="sent")  # type: ignore[arg-type]
    assert report.status is RunStatus.SENT and report.status == "sent"
    with pytest.raises(ValueError, match="RunStatus"):
        RunReport(digest_id="", now=NOW, dry_run=False, status="error: boom")  # type: ignore[arg-type]
