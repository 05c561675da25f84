"""The weekly run: the only module that knows the order of the stages.

    resume (finish the outbox: send → accepted → publish → sent)
    → gather (fetch, extract each article's text, detect its language)
    → select (fold copies, drop already sent, filters) → dedupe → cluster
    → rank (recall updates of sent stories, rank into sections, cut) → summarize (extractive, then LLM)
    → render → pending (stored in the outbox) → send → accepted → publish → sent (marked sent and seen)

Each name is a stage :attr:`Services.on_stage` is told of, in this order (:data:`STAGES`).

The window reaches back to the end of this digest's last delivered issue (catch-up, capped by
``digest.max_catch_up_days``); the store's queries are scoped to the digest's ``[digest] name``.

Everything up to render reads the state store but never writes it, so :meth:`Pipeline.preview` and
``--dry-run`` have no side effect. Delivery is an outbox: the rendered message is stored
``pending`` (with its articles and recipients) in one transaction, then sent; each recipient's
acceptance is recorded as the server confirms it; only when every recipient was handled and the
site published does one transaction mark the issue ``sent`` and its articles seen. A run that
finds a pending issue (a crash, a down server) finishes it first — the stored message, so the same
Message-ID, and only to recipients who did not get it — and builds no new digest until it is done.
A crash can therefore re-send a message (the server accepted it but the run died before
recording that) but never lose an article or put one in two digests.

The pending transaction also keeps the run's first-seen times, its new LLM answers and the stories
the issue carries (story memory): since no digest is built while one is pending, a later week is
only ever compared with stories that went out or are about to.

The whole run holds the store's run lock, so two overlapping runs cannot interleave.

:class:`Pipeline` holds what a run needs once: the config, the :class:`Services` it talks to (network,
mailer, clock, sleep, environment, stage events) and the state store; its methods are the runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from ..clean import clean_text
from ..config import Config
from ..errors import DigestError
from ..mailer import Mailer, mailer_for
from ..models import RunReport, RunStatus
from ..store import Store, open_store
from . import run as _run
from . import week as _week
from .context import Context
from .run import write_report
from .services import STAGES, Services
from .week import Week, write_renderings

log = logging.getLogger(__name__)

__all__ = ["STAGES", "Pipeline", "Services", "Week", "write_renderings", "write_report"]


class Pipeline:
    """One digest's runs: ``Pipeline(config, services).run()``.

    ``store`` is the state store to use, left open afterwards; without one, each call opens the store
    ``[digest] state`` names and closes it when done. The mailer is the one ``services`` gives, else
    the one the config asks for (SMTP, or the outbox folder without ``[email.smtp]``).
    """

    def __init__(self, config: Config, services: Services | None = None, *, store: Store | None = None) -> None:
        self.config = config
        self.services = services if services is not None else Services()
        self.store = store
        self.mailer: Mailer = self.services.mailer or mailer_for(
            config, env=self.services.env, sleep=self.services.sleep or time.sleep
        )

    def build_week(self, now: datetime | None = None) -> Week:
        """Every stage up to render, for the week ending ``now`` (default: the clock's now); the store is only read."""
        with self._reading() as ctx:
            return _week.build_week(ctx, now or self.services.clock())

    def preview(self, out: Path, now: datetime | None = None) -> RunReport:
        """Write the four renderings of the week to ``out``; the store is only read."""
        with self._reading() as ctx:
            return _week.preview(ctx, now or self.services.clock(), out)

    def run(self, now: datetime | None = None, *, dry_run: bool = False) -> RunReport:
        """Finish any pending issue, then build, deliver and publish the week ending ``now``, and mark it sent.

        With ``dry_run``, render everything and write it to the output folder, sending and marking
        nothing. Raises :class:`~digest.errors.StoreError` at once when another run holds the lock;
        any :class:`~digest.errors.DigestError` is also written to the run report before it is raised.
        """
        now = now or self.services.clock()
        with self._reporting_errors(now, dry_run=dry_run), self._opened(readonly=False) as store:
            if dry_run:
                return _run.dry_run(self._context(self._scoped(store)), now)
            config = self.config
            with store.session(config.digest.key, shared_history=config.digest.shared_history) as view:
                return _run.run(self._context(view), now)

    def send_test(self, to: str, now: datetime | None = None) -> RunReport:
        """Send the week ending ``now`` to ``to`` only: nothing is marked seen and nothing is stored."""
        now = now or self.services.clock()
        with self._reporting_errors(now, dry_run=False), self._reading() as ctx:
            return _run.send_test(ctx, to, now)

    @contextmanager
    def _opened(self, *, readonly: bool) -> Iterator[Store]:
        """The store given, or the one the config names, opened here and closed when done."""
        if self.store is not None:
            yield self.store
            return
        config = self.config
        with open_store(config.digest.state, base_dir=config.base_dir, readonly=readonly) as store:
            yield store

    @contextmanager
    def _reading(self) -> Iterator[Context]:
        """The context of a call that only reads the store: its view of this digest."""
        self.config.check_runnable()
        with self._opened(readonly=True) as store:
            yield self._context(self._scoped(store))

    def _scoped(self, store: Store) -> Store:
        return store.scoped(self.config.digest.key, shared_history=self.config.digest.shared_history)

    def _context(self, store: Store) -> Context:
        return Context(self.config, self.services, store, self.mailer)

    @contextmanager
    def _reporting_errors(self, now: datetime, *, dry_run: bool) -> Iterator[None]:
        try:
            self.config.check_runnable()
            yield
        except Exception as exc:
            # Whatever stopped the run (a bug included), report.json says so: a reader of the last
            # report must never take an older run's for this one's.
            error = str(exc) if isinstance(exc, DigestError) else f"unexpected {type(exc).__name__}: {exc}"
            report = RunReport(digest_id="", now=now, dry_run=dry_run, status=RunStatus.ERROR, error=clean_text(error))
            try:
                write_report(self.config, report)
            except OSError as failed:
                log.error("run report not written: %s", failed)
            raise
