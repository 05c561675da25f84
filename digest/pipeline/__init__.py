"""The weekly run: the only module that knows the order of the stages.

    finish the outbox → gather → extract → drop already sent → filters → dedupe → cluster
           → recall updates → summarize → rank → LLM summaries of the shown stories → render
           → store pending → deliver → publish → mark sent and seen

The window reaches back to the end of this digest's last delivered issue (catch-up, capped by
``digest.max_catch_up_days``); the store's queries are scoped to the digest's ``[digest] name``.

Everything up to render reads the state store but never writes it, so :func:`preview` and
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
"""

from .run import run, send_test, write_report
from .week import Week, build_week, preview, write_renderings

__all__ = ["Week", "build_week", "preview", "run", "send_test", "write_renderings", "write_report"]
