"""What a run talks to besides the state store: the network, the mail, the clock, the environment.

Everything a run does outside the process goes through :class:`Services`, so a test or a library
user swaps one field instead of patching a module: an ``httpx.MockTransport`` for the feeds and the
LLM, a :class:`~digest.mailer.Mailer` that records, a ``sleep`` that returns at once, a fixed clock.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from ..mailer import Mailer

__all__ = ["STAGES", "Services"]

STAGES = (
    "approve",
    "resume",
    "gather",
    "select",
    "dedupe",
    "cluster",
    "rank",
    "summarize",
    "render",
    "pending",
    "held",
    "send",
    "accepted",
    "publish",
    "post",
    "posted",
    "sent",
)
"""Every stage :attr:`Services.on_stage` is told of, in the order a run goes through them.

``resume`` (finishing an issue a previous run left in the outbox, then its ``send``, ``accepted``,
``publish`` and ``sent``) comes once per such issue, before the week is built;
``gather`` reads the sources, extracting each article's text and finding its language as it comes in;
``select`` folds copies, drops what was sent before and applies the filters; ``dedupe`` folds near
duplicates; ``cluster`` groups them into stories; ``rank`` marks updates of sent stories, ranks them
into sections and cuts the list; ``summarize`` summarizes the stories shown; ``render`` writes the four
renderings. A run then stores the issue as ``pending``, ``send``\\ s it, has it ``accepted``, publishes
the site, ``post``\\ s it to each channel (``posted`` once a service took it) and marks the issue
``sent``. A preview stops after ``render``; stages with nothing to do (no one left to mail, no
channels) are skipped. With ``[digest] approval``, a run stops at ``held`` (the issue stored for
approval, the editors' preview sent); ``approve`` (``digest approve``) makes a held issue pending, and
the run goes on from ``send``.
"""


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _ignore(stage: str) -> None:
    pass


@dataclass(frozen=True, slots=True)
class Services:
    """What a :class:`~digest.pipeline.Pipeline` talks to; each field has the real thing as its default.

    ``http_transport`` carries every feed fetch (``None``: the guarded transport built from
    ``[fetch]``, which refuses private addresses and reads the proxy variables); a transport that
    is also synchronous, such as ``httpx.MockTransport``, carries the LLM's requests too unless
    ``llm_client`` is given. ``mailer`` delivers the issue (``None``: SMTP or the outbox folder, as
    the config says). ``sleep`` waits between retries (``None``: really wait). ``clock`` is the run's
    ``now`` when a method is not given one. ``env`` holds the secrets the config names (SMTP password,
    LLM key). ``on_stage`` is told the name of each stage as it starts (see :data:`STAGES`);
    ``on_progress`` gets (sources read, sources in all) while the sources are read.
    """

    http_transport: httpx.AsyncBaseTransport | None = None
    llm_client: httpx.Client | None = None
    mailer: Mailer | None = None
    sleep: Callable[[float], None] | None = None
    clock: Callable[[], datetime] = _utc_now
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    on_stage: Callable[[str], None] = _ignore
    on_progress: Callable[[int, int], None] | None = None
