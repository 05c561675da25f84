"""Holding an issue for approval: only the editors see it until `digest approve` sends exactly that issue."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from digest import Pipeline, Services
from digest.cli import main
from digest.config import Config
from digest.deliver import message_id
from digest.errors import DigestError
from digest.models import RunReport
from digest.store import open_store

from .conftest import FeedServer, LoopbackConfig, SmtpServer
from .test_channels import Crash, Hook, _hook

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
READERS = ("ann@example.org", "bob@example.org")


@pytest.fixture
def hook() -> Iterator[Hook]:
    yield from _hook()


def _held_week(server: FeedServer, smtp: SmtpServer, **digest: Any) -> dict[str, Any]:
    return {
        "digest": {"title": "Held Weekly", "approval": True, **digest},
        "sources": [{"opml": server.url("subscriptions.opml")}],
        "email": {"sender": "Held Weekly <weekly@example.org>", "to": list(READERS), "editors": ["ed@example.org"]},
        "site": {"dir": "site", "base_url": "https://news.example.org/"},
        "channels": [
            {"url_env": "DIGEST_TEAM_URL", "name": "team"},
            {"url_env": "DIGEST_EDITORS_URL", "name": "editors", "preview": True},
        ],
        "smtp": smtp,
    }


def _env(hook: Hook) -> dict[str, str]:
    return {"DIGEST_TEAM_URL": hook.url("json", "team"), "DIGEST_EDITORS_URL": hook.url("json", "editors")}


def _pipeline(config: Config, hook: Hook, *, crash_at: str = "") -> Pipeline:
    def stage(name: str) -> None:
        if name == crash_at:
            raise Crash(name)

    return Pipeline(config, Services(env=_env(hook), on_stage=stage))


def _run(config: Config, hook: Hook, now: datetime = NOW) -> RunReport:
    return _pipeline(config, hook).run(now)


def test_a_held_issue_goes_to_the_editors_only_and_approval_sends_it_as_stored(
    feed_server: FeedServer, smtp_server: SmtpServer, hook: Hook, loopback_config: LoopbackConfig
) -> None:
    config = loopback_config(**_held_week(feed_server, smtp_server))
    held = _run(config, hook)
    assert held.status == "held" and held.held == ("2026-W48",) and held.delivered_to == () and not held.published
    ((to, preview),) = smtp_server.recorder.messages
    assert to == ["ed@example.org"] and str(preview["Subject"]).startswith("Preview: Held Weekly")
    assert preview["Message-ID"] != message_id("2026-W48", config.email.sender, config.digest.key)
    assert not config.resolve("site").exists(), "nothing is published while the issue is held"
    assert hook.bodies("team") == [] and len(hook.bodies("editors")) == 1
    assert "Held for approval" in hook.bodies("editors")[0]["message"]
    stored = config.resolve("out") / "2026-W48" / "digest.txt"
    stored_text = stored.read_text()
    # A later run builds nothing new while the issue waits, and sends nothing.
    again = _run(config, hook, NOW + timedelta(hours=1))
    assert again.status == "held" and again.stories == 0 and len(smtp_server.recorder.messages) == 1

    approved = _pipeline(config, hook).approve("2026-W48", NOW + timedelta(hours=2))
    assert approved.status == "sent" and set(approved.delivered_to) == set(READERS) and approved.published
    assert approved.posted == ("team",) and len(hook.bodies("team")) == 1
    sent = smtp_server.recorder.messages[1:]
    assert sorted(r for rcpts, _ in sent for r in rcpts) == sorted(READERS)
    for _, message in sent:
        assert message["Message-ID"] == message_id("2026-W48", config.email.sender, config.digest.key)
        body = message.get_body(("plain",))
        assert body is not None and body.get_content().replace("\r\n", "\n").strip() == stored_text.strip()
    assert (config.resolve("site") / "issues" / "2026-W48" / "index.html").exists()
    # Approving it again sends nothing; the next week is built as usual.
    assert _pipeline(config, hook).approve("2026-W48", NOW + timedelta(hours=3)).status == "sent"
    assert len(smtp_server.recorder.messages) == 3 and len(hook.bodies("team")) == 1


def test_approval_survives_a_crash_and_any_later_run_finishes_it_once(
    feed_server: FeedServer, smtp_server: SmtpServer, hook: Hook, loopback_config: LoopbackConfig
) -> None:
    config = loopback_config(**_held_week(feed_server, smtp_server))
    _run(config, hook)
    with pytest.raises(Crash):
        _pipeline(config, hook, crash_at="send").approve("2026-W48", NOW + timedelta(hours=1))
    # Approved, then killed before any mail went out: a plain run finishes it, from the outbox.
    resumed = _run(config, hook, NOW + timedelta(hours=2))
    assert resumed.resent == ("2026-W48",) and resumed.completed == ("2026-W48",)
    assert set(resumed.delivered_to) == set(READERS) and resumed.posted == ("team",)
    assert len(smtp_server.recorder.messages) == 1 + len(READERS)


def test_an_issue_held_past_approval_days_is_reported_never_sent(
    feed_server: FeedServer,
    smtp_server: SmtpServer,
    hook: Hook,
    loopback_config: LoopbackConfig,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = loopback_config.write(**_held_week(feed_server, smtp_server, approval_days=2))
    config = loopback_config(**_held_week(feed_server, smtp_server, approval_days=2))
    _run(config, hook)
    fresh = _run(config, hook, NOW + timedelta(days=1))
    assert fresh.status == "held" and not [p for p in fresh.problems if "held for approval" in p.message]
    stale = _run(config, hook, NOW + timedelta(days=3))
    assert stale.status == "held" and stale.delivered_to == ()
    (problem,) = [p for p in stale.problems if "held for approval" in p.message]
    assert problem.source == "2026-W48" and "digest approve" in problem.hint
    assert len(smtp_server.recorder.messages) == 1, "only the preview, ever"
    assert main(["status", "--config", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "held for approval: 2026-W48" in out and "waited for approval more than 2 days" in err


def test_the_command_line_approves_the_one_held_issue_and_refuses_an_unknown_one(
    feed_server: FeedServer,
    smtp_server: SmtpServer,
    hook: Hook,
    loopback_config: LoopbackConfig,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = loopback_config.write(**_held_week(feed_server, smtp_server))
    for name, value in _env(hook).items():
        monkeypatch.setenv(name, value)
    assert main(["run", "--config", str(path), "--now", NOW.isoformat()]) == 0
    assert "held for approval: 2026-W48" in capsys.readouterr().out
    assert main(["approve", "--config", str(path), "2026-W47"]) == 1
    assert "no issue '2026-W47'" in capsys.readouterr().err
    later = (NOW + timedelta(hours=1)).isoformat()
    assert main(["run", "--config", str(path), "--approve", "--now", later]) == 0
    assert "delivered to: ann@example.org, bob@example.org" in capsys.readouterr().out
    with open_store(path.parent / "state.db") as store:
        assert store.scoped("held-weekly").approval.held() == ()
    with pytest.raises(DigestError, match="0 issues held"):
        from digest.cli import _held_issue

        _held_issue((), "-")


def test_a_rejected_issue_is_never_sent_and_its_articles_go_in_the_next_one(
    feed_server: FeedServer,
    smtp_server: SmtpServer,
    hook: Hook,
    loopback_config: LoopbackConfig,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = loopback_config.write(**_held_week(feed_server, smtp_server))
    config = loopback_config(**_held_week(feed_server, smtp_server))
    first = _run(config, hook)
    assert main(["reject", "--config", str(path), "2026-W48"]) == 0
    assert "rejected 2026-W48" in capsys.readouterr().out
    assert main(["reject", "--config", str(path), "2026-W48"]) == 1, "only a held issue can be rejected"
    assert main(["approve", "--config", str(path), "2026-W48"]) == 1
    assert "2026-W48 was rejected" in capsys.readouterr().err
    again = _run(config, hook, NOW + timedelta(hours=1))
    assert again.digest_id == "2026-W48-2" and again.status == "held" and again.stories == first.stories
    assert not any(story.update for story in again.ranking), "a rejected issue's stories were never sent"
    assert len(smtp_server.recorder.messages) == 2 and hook.bodies("team") == [], "previews only, twice"
    with open_store(path.parent / "state.db") as store:
        posts = store.scoped("held-weekly").channels.posts("2026-W48")
    assert [(p.state, p.detail) for p in posts] == [("dropped", "rejected")]
