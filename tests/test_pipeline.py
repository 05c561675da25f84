"""The pipeline talks to the world only through its Services: a mock transport, a recording mailer, no real sleeps."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import httpx

from digest import OutboxMailer, Pipeline, Services, SmtpMailer
from digest.deliver import Delivery
from digest.errors import DeliveryError
from digest.mailer import OUTBOX, Sent, mailer_for
from digest.store import SqliteStore

from .conftest import LoopbackConfig

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FEED = """<rss version="2.0"><channel><title>Harbor News</title>
<item><title>Night ferry returns to the harbor</title><link>https://news.example/ferry</link>
<pubDate>Mon, 23 Nov 2026 07:00:00 GMT</pubDate><description>The night ferry sails again.</description></item>
<item><title>Lighthouse reopens for visitors</title><link>https://news.example/lighthouse</link>
<pubDate>Sun, 22 Nov 2026 07:00:00 GMT</pubDate><description>The old lighthouse opens its stairs.</description></item>
</channel></rss>"""


# One feed on a host the tests answer for with httpx's MockTransport.
HARBOR = {"digest": {"title": "Harbor Weekly"}, "sources": [{"url": "https://news.example/rss"}]}


class Recorder:
    """A mailer that keeps what it is given, accepting everyone unless told to fail."""

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, tuple[str, ...]]] = []
        self.fail = fail

    def addressees(self, to: Sequence[str]) -> tuple[str, ...]:
        return tuple(to)

    def send(self, message: EmailMessage, recipients: Sequence[str], *, name: str) -> Sent:
        if self.fail:
            raise DeliveryError("server down", recipients=tuple(recipients))
        self.sent.append((name, tuple(recipients)))
        return Sent(tuple(Delivery(r, True) for r in recipients))


def _feed(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text=FEED, headers={"Content-Type": "application/rss+xml"})


def test_the_mailer_is_chosen_once_from_the_config(loopback_config: LoopbackConfig) -> None:
    outbox = mailer_for(loopback_config(**HARBOR), env={})
    assert isinstance(outbox, OutboxMailer) and outbox.addressees(["ann@example.org"]) == ("ann@example.org",)
    assert outbox.addressees([]) == (OUTBOX,)  # nobody named: one message for a later step to address
    smtp = mailer_for(loopback_config(**HARBOR, email={"smtp": {"host": "127.0.0.1"}}), env={})
    assert isinstance(smtp, SmtpMailer) and smtp.addressees(["ann@example.org"]) == ("ann@example.org",)
    recorder = Recorder()
    assert Pipeline(loopback_config(**HARBOR), Services(mailer=recorder)).mailer is recorder


def test_a_run_in_process_sends_through_the_injected_mailer_and_marks_seen_after(
    tmp_path: Path, loopback_config: LoopbackConfig
) -> None:
    config = loopback_config(**HARBOR)
    recorder = Recorder(fail=True)
    services = Services(http_transport=httpx.MockTransport(_feed), mailer=recorder, env={}, clock=lambda: NOW)
    with SqliteStore(tmp_path / "state.db") as store:
        failed = Pipeline(config, services, store=store).run()
        assert failed.status == "failed" and store.count("seen") == 0
        assert [e.undelivered for e in store.outbox.pending()] == [("ann@example.org",)]
        recorder.fail = False
        done = Pipeline(config, services, store=store).run()
        assert done.status == "sent" and done.resent == (failed.digest_id,)
        assert store.count("seen") == 2 and store.outbox.pending() == ()
    assert recorder.sent == [(failed.digest_id, ("ann@example.org",))]
    assert (tmp_path / "site" / "index.html").is_file()


def test_a_failing_feed_is_retried_through_the_injected_sleep(loopback_config: LoopbackConfig) -> None:
    answers = iter([503, 503, 200])
    waits: list[float] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        return _feed(request) if status == 200 else httpx.Response(status)

    services = Services(http_transport=httpx.MockTransport(flaky), sleep=waits.append)
    week = Pipeline(loopback_config(**HARBOR), services).build_week(NOW)
    assert len(week.digest.stories) == 2 and len(waits) == 2 and not week.problems


def test_rendering_returns_the_outline_of_what_it_rendered(loopback_config: LoopbackConfig) -> None:
    week = Pipeline(loopback_config(**HARBOR), Services(http_transport=httpx.MockTransport(_feed))).build_week(NOW)
    shape = week.rendering.outline
    assert [text for _, text in shape.headlines] == [story.label for story in week.digest.stories]
    assert all(f'id="{anchor}"' in week.rendering.body_html for anchor, _ in (*shape.sections, *shape.headlines))
