"""Two digests on one state store (SQLite and PostgreSQL): each its own issues, outbox, history and site."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from digest import Pipeline, Services, load_config
from digest.config import Config
from digest.models import RunReport
from digest.store import open_store

from .conftest import LoopbackConfig, SmtpServer, write_config
from .weekly import article_ids_in, scoped_id, story, write_feed

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def _digest(root: Path, name: str, state: str, smtp: SmtpServer, to: str, **digest: Any) -> Config:
    """The digest ``name`` in ``root``: the shared wire feed and its own, to ``to`` over SMTP."""
    root.mkdir(parents=True, exist_ok=True)
    own = 10 if name == "alpha" else 20
    # One wire feed both digests subscribe to: the same items (GUIDs are scoped to their feed).
    write_feed(root.parent / "wire.xml", [story(1, NOW - timedelta(days=1)), story(2, NOW - timedelta(days=2))])
    write_feed(root / "own.xml", [story(own, NOW - timedelta(days=1)), story(own + 1, NOW - timedelta(days=3))])
    path = LoopbackConfig(root).write(
        digest={"title": f"{name.title()} Weekly", "name": name, "state": state, **digest},
        sources=[{"path": "../wire.xml", "name": "Wire"}, {"path": "own.xml", "name": f"{name.title()} Desk"}],
        email={"sender": f"{name.title()} <{name}@example.org>", "to": [to]},
        smtp=smtp,
    )
    return load_config(path)


def _run(config: Config, location: str, now: datetime = NOW) -> RunReport:
    with open_store(location) as store:
        return Pipeline(config, Services(env={}), store=store).run(now)


def _mail(smtp: SmtpServer, to: str) -> list[set[str]]:
    return [article_ids_in(m) for rcpt, m in smtp.recorder.messages if rcpt == [to]]


def _site_text(folder: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.html")))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=[pytest.mark.slow, pytest.mark.postgres])])
def shared_state(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "shared.db")
    server = request.getfixturevalue("postgres_server")
    return str(server.new_database())


def test_each_digest_mails_its_own_and_a_shared_story_reaches_both(
    tmp_path: Path, smtp_server: SmtpServer, shared_state: str
) -> None:
    alpha = _digest(tmp_path / "a", "alpha", shared_state, smtp_server, "ann@example.org")
    beta = _digest(tmp_path / "b", "beta", shared_state, smtp_server, "bea@example.org")
    first, second = _run(alpha, shared_state), _run(beta, shared_state)
    assert (first.status, second.status) == ("sent", "sent")
    # The second digest's first issue says where the other history is, in case this one was renamed.
    assert not [p for p in first.problems if p.source == "digest"]
    assert any("holds the digest(s) alpha" in p.message for p in second.problems)
    assert first.digest_id == second.digest_id == "2026-W48", "issue ids are per digest: no collision"
    assert _mail(smtp_server, "ann@example.org") == [{"1", "2", "10", "11"}]
    assert _mail(smtp_server, "bea@example.org") == [{"1", "2", "20", "21"}], "the wire story reaches both"
    # Sites apart: each lists its own issue only.
    a_site = _site_text(tmp_path / "a" / "site")
    b_site = _site_text(tmp_path / "b" / "site")
    assert "aquarium10" in a_site and "glacier20" not in a_site  # story 10 is alpha's own, 20 beta's
    assert "glacier20" in b_site and "aquarium10" not in b_site
    assert "library1" in a_site and "library1" in b_site  # the wire story, in both
    with open_store(shared_state) as store:
        alpha_view, beta_view = store.scoped("alpha"), store.scoped("beta")
        assert [i.id for i in alpha_view.outbox.issues()] == ["2026-W48"] and len(alpha_view.runs.latest()) == 1
        wire, a_own, b_own = tmp_path / "wire.xml", tmp_path / "a" / "own.xml", tmp_path / "b" / "own.xml"
        assert alpha_view.seen.ids([scoped_id(b_own, 20), scoped_id(wire, 1)]) == {scoped_id(wire, 1)}
        assert beta_view.seen.ids([scoped_id(a_own, 10), scoped_id(b_own, 20)]) == {scoped_id(b_own, 20)}
    # A second run of either sends nothing new.
    assert _run(alpha, shared_state).status == "nothing_new"


def test_outboxes_are_apart(tmp_path: Path, smtp_server: SmtpServer, shared_state: str) -> None:
    alpha = _digest(tmp_path / "a", "alpha", shared_state, smtp_server, "ann@example.org")
    beta = _digest(tmp_path / "b", "beta", shared_state, smtp_server, "bea@example.org")
    smtp_server.recorder.refuse = {"bea@example.org"}
    assert _run(beta, shared_state).status == "failed"
    # Alpha neither finishes nor releases beta's pending issue.
    report = _run(alpha, shared_state)
    assert report.status == "sent" and report.resent == () and report.refused == ()
    with open_store(shared_state) as store:
        (pending,) = store.scoped("beta").outbox.pending()
        assert pending.undelivered == ("bea@example.org",)
        assert store.scoped("alpha").outbox.pending() == ()
    smtp_server.recorder.refuse = set()
    finished = _run(beta, shared_state)
    assert finished.resent == ("2026-W48",) and finished.delivered_to == ("bea@example.org",)
    assert _mail(smtp_server, "bea@example.org") == [{"1", "2", "20", "21"}]


def test_shared_history_keeps_one_history_on_purpose(
    tmp_path: Path, smtp_server: SmtpServer, shared_state: str
) -> None:
    alpha = _digest(tmp_path / "a", "alpha", shared_state, smtp_server, "ann@example.org")
    beta = _digest(tmp_path / "b", "beta", shared_state, smtp_server, "bea@example.org", shared_history=True)
    _run(alpha, shared_state)
    _run(beta, shared_state)
    assert _mail(smtp_server, "bea@example.org") == [{"20", "21"}], "what alpha delivered, beta does not send"


def test_an_existing_store_migrates_into_the_default_name(tmp_path: Path, smtp_server: SmtpServer) -> None:
    path = tmp_path / "old.db"
    with open_store(path, migrate=False) as old:
        old.migrate(to=4)  # a store from before GUIDs were scoped and digests kept apart
        with old.transaction():
            old.execute(
                "INSERT INTO seen (article_id, digest_id, sent_at) VALUES (?, ?, ?)", ("urn:test:1", "2026-W47", "x")
            )
            old.execute(
                'INSERT INTO issues (id, title, start, "end", body_html, state, created_at) '
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                ("2026-W47", "Old", (NOW - 2 * WEEK).isoformat(), (NOW - WEEK).isoformat(), "<p>old</p>", "sent", "x"),
            )
    config = _digest(tmp_path / "a", "alpha", str(path), smtp_server, "ann@example.org")
    config = load_config(
        write_config(
            tmp_path / "a" / "digest.toml",
            (tmp_path / "a" / "digest.toml").read_text().replace('name = "alpha"\n', ""),
        )
    )
    assert config.digest.key == "alpha-weekly"
    report = _run(config, str(path))
    # The old history is the default-named digest's: urn:test:1 was sent, and the site keeps the old issue.
    assert _mail(smtp_server, "ann@example.org") == [{"2", "10", "11"}]
    assert report.digest_id == "2026-W48"
    with open_store(path) as opened:
        store = opened.scoped("alpha-weekly")
        assert [i.id for i in store.outbox.issues()] == ["2026-W48", "2026-W47"]
        assert store.query("SELECT COUNT(*) FROM seen WHERE digest = ''") == [(0,)]
