"""Catch-up: a missed week loses nothing, the cap is reported, the first run covers window_days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from digest import Pipeline, Services
from digest.cli import main
from digest.config import Config
from digest.models import RunReport
from digest.store import Store, open_store

from .conftest import LoopbackConfig, SmtpServer
from .weekly import article_ids_in, story, write_feed

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def _wire(folder: Path, smtp: SmtpServer, cap: int = 28) -> dict[str, Any]:
    """One feed, wire.xml (empty until a test publishes), to one reader over SMTP."""
    write_feed(folder / "wire.xml", [])
    sources = [{"path": "wire.xml", "name": "Wire"}]
    return {"digest": {"title": "Catch-up Weekly", "max_catch_up_days": cap}, "sources": sources, "smtp": smtp}


def _publish(path: Path, first: datetime, weeks: int, *, now: datetime) -> None:
    """The feed as it stands at ``now``: two articles in each week so far, both strictly inside it."""
    items = [story(w * 2 + k, first + w * WEEK - timedelta(days=2 + k, hours=3)) for w in range(weeks) for k in (0, 1)]
    write_feed(path, [i for i in items if i.published <= now])


def _run(config: Config, store: Store, now: datetime, weeks: int, path: Path) -> RunReport:
    _publish(path, MONDAY, weeks, now=now)
    return Pipeline(config, Services(env={}), store=store).run(now)


def test_a_missed_week_reaches_the_next_issue(
    tmp_path: Path, smtp_server: SmtpServer, loopback_config: LoopbackConfig
) -> None:
    config = loopback_config(**_wire(tmp_path, smtp_server))
    feed = tmp_path / "wire.xml"
    with open_store(tmp_path / "state.db") as store:
        first = _run(config, store, MONDAY, 3, feed)
        assert first.window_start == MONDAY - WEEK  # the first run covers window_days
        # The run of MONDAY + WEEK never happens.
        third = _run(config, store, MONDAY + 2 * WEEK, 3, feed)
        assert third.window_start == MONDAY  # the end of the last delivered issue
        assert third.skipped == 0
        assert third.to_dict()["window"] == {"start": MONDAY.isoformat(), "end": (MONDAY + 2 * WEEK).isoformat()}
        fourth = _run(config, store, MONDAY + 3 * WEEK, 3, feed)
        assert fourth.stories == 0
    messages = [m for _, m in smtp_server.recorder.messages]
    assert len(messages) == 2
    ids = [article_ids_in(m) for m in messages]
    assert ids[0] == {"0", "1"}
    assert ids[1] == {"2", "3", "4", "5"}, "the skipped week's articles are in the next issue, once"
    assert not ids[0] & ids[1]
    # The window is in the header.
    body = messages[1].get_body(("plain",))
    assert body is not None
    assert "November 2, 2026 – November 16, 2026" in body.get_content()


def test_the_cap_skips_and_counts_what_is_older(
    tmp_path: Path, smtp_server: SmtpServer, loopback_config: LoopbackConfig
) -> None:
    config = loopback_config(**_wire(tmp_path, smtp_server, cap=14))
    feed = tmp_path / "wire.xml"
    with open_store(tmp_path / "state.db") as store:
        _run(config, store, MONDAY, 6, feed)
        # Five weeks later, with a 14-day cap: weeks 2-4 of the feed are beyond it.
        late = _run(config, store, MONDAY + 5 * WEEK, 6, feed)
        assert late.window_start == MONDAY + 3 * WEEK
        assert late.skipped == 6  # weeks 2, 3 and 4 of the feed, two articles each
        assert any("max_catch_up_days" in p.message for p in late.problems)
        assert late.marked_seen == 4
    ids = article_ids_in(smtp_server.recorder.messages[-1][1])
    assert ids == {"8", "9", "10", "11"}


def test_the_window_is_printed(
    tmp_path: Path, smtp_server: SmtpServer, loopback_config: LoopbackConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    config_path = loopback_config.write(**_wire(tmp_path, smtp_server))
    _publish(tmp_path / "wire.xml", MONDAY, 1, now=MONDAY)
    assert main(["run", "--config", str(config_path), "--now", MONDAY.isoformat()]) == 0
    assert "window: 2026-10-26 09:00 – 2026-11-02 09:00 UTC" in capsys.readouterr().out
