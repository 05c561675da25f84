"""One run's collaborators, held together: the config, the services, the scoped state store, the mailer."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from ..config import Config
from ..mailer import Mailer
from ..sources.client import GuardedSyncTransport
from ..sources.fetch import Sleep
from ..sources.guard import DestinationPolicy
from ..store import Store
from .services import Services

__all__ = ["Context"]

log = logging.getLogger("digest.pipeline")


@dataclass(frozen=True, slots=True)
class Context:
    """What every stage of one run may use; made by :class:`~digest.pipeline.Pipeline` for each call."""

    config: Config
    services: Services
    store: Store
    mailer: Mailer

    @contextmanager
    def stage(self, name: str, detail: str = "") -> Iterator[None]:
        """Announce stage ``name`` (``on_stage``, and ``stage: NAME`` in the log), then log its time when it ends."""
        self.reached(name, detail)
        started = time.perf_counter()
        try:
            yield
        finally:
            log.info("stage %s: %.2f s", name, time.perf_counter() - started)

    def reached(self, name: str, detail: str = "") -> None:
        """Announce stage ``name``, one that is a moment rather than work (the issue stored, accepted, sent)."""
        self.services.on_stage(name)
        log.info("stage: %s", f"{name} {detail}" if detail else name)

    @contextmanager
    def llm_client(self) -> Iterator[httpx.Client]:
        """The client the LLM is asked through: the given one, or one over the injected transport, or a real one.

        A real one reaches only what the feeds may reach, plus the networks ``summary.llm.allow_networks``
        names: the endpoint is held to the same destination policy, through the same proxies.
        """
        if self.services.llm_client is not None:
            yield self.services.llm_client
            return
        given = self.services.http_transport
        if isinstance(given, httpx.BaseTransport):
            transport: httpx.BaseTransport = given
        else:
            networks = (*self.config.fetch.allow_networks, *self.config.summary.llm.allow_networks)
            transport = GuardedSyncTransport(DestinationPolicy.from_strings(networks))
        # The transport reads the proxy variables itself, and .netrc has no business with the endpoint.
        with httpx.Client(transport=transport, trust_env=False) as client:
            yield client

    def async_sleep(self) -> Sleep:
        """How the fetches wait between retries: the injected ``sleep``, or the event loop's."""
        sleep = self.services.sleep
        if sleep is None:
            return asyncio.sleep

        async def wait(seconds: float) -> None:
            sleep(seconds)

        return wait
