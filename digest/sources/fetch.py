"""One shared async HTTP client that fetches feeds the way a polite feed reader does.

A global and a per-host limit on requests in flight, a deadline per request, bounded retries with
exponential backoff on timeouts, 429 and 5xx (a server's ``Retry-After`` wins when longer),
conditional GET with ``ETag``/``Last-Modified``, gzip/deflate/brotli, and a User-Agent that says
who we are. What a stranger's server answers is held to bounds: redirects are followed here, hop by
hop, each hop's destination judged again and no 3xx body ever read; the size cap holds on the wire
and after decompression; only the networks the user allowed besides public ones are reached
(:mod:`digest.sources.guard`). Every failure leaves as a :class:`~digest.errors.FetchError` naming
the URL and the fix.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http.client import HTTPResponse
from http.cookiejar import CookieJar
from types import TracebackType
from urllib.parse import urlsplit

import httpx

from ..config import FetchConfig
from ..dates import http_date
from ..errors import FetchError, RefusedError
from .client import GuardedTransport
from .decode import ACCEPT_ENCODING, TooLarge, UnsupportedEncoding, read_capped
from .guard import DestinationPolicy, Refused

__all__ = ["Fetched", "Fetcher", "Sleep", "status_hint"]

log = logging.getLogger(__name__)

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_PERMANENT = frozenset({301, 308})
_REDIRECT = frozenset({301, 302, 303, 307, 308})
# Browsers stop at 20, feed readers at 5 to 10: a feed behind more is misconfigured or a trap.
MAX_REDIRECTS = 10


@dataclass(frozen=True, slots=True)
class Fetched:
    """One response: ``status`` 200 with its body, or 304 (not modified) with none."""

    url: str
    status: int
    body: bytes = b""
    etag: str = ""
    last_modified: str = ""
    content_type: str = ""
    moved_to: str = ""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


Sleep = Callable[[float], Awaitable[None]]
"""Waits the given seconds between retries; tests pass one that records the delays instead."""


class Fetcher:
    """Async GETs through one pooled client; use as ``async with Fetcher(settings) as fetcher``."""

    def __init__(
        self,
        settings: FetchConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        policy = DestinationPolicy.from_strings(settings.allow_networks)
        self._client = httpx.AsyncClient(
            headers={"User-Agent": settings.agent, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING},
            timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
            # Redirects are followed in get(), where each hop is checked and its body left unread.
            follow_redirects=False,
            cookies=_CookieJar(),
            # The transport reads the proxy variables itself; .netrc credentials must never be
            # sent to a host a stranger's feed named.
            trust_env=False,
            transport=transport
            or GuardedTransport(policy, per_host=settings.per_host, keep_hosts=settings.concurrency),
        )
        self._all = asyncio.Semaphore(settings.concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._client.aclose()

    async def get(self, url: str, *, etag: str = "", last_modified: str = "", accept: str = "") -> Fetched:
        """GET ``url`` (conditionally when validators are given), retrying what is worth retrying."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if accept:
            headers["Accept"] = accept
        attempt = 0
        while True:
            try:
                return await self._follow(url, headers)
            except _Retry as retry:
                if attempt >= self.settings.retries:
                    raise retry.error from None
                delay = max(self.settings.backoff * 2**attempt, retry.after)
                if delay > self.settings.max_retry_after:
                    raise retry.error from None
                attempt += 1
                log.info("%s: %s, retry %d in %.1fs", url, retry.error.message, attempt, delay)
                await self._sleep(delay)

    def _slot(self, url: str) -> _Slots:
        host = urlsplit(url).netloc.lower()
        if host not in self._hosts:
            self._hosts[host] = asyncio.Semaphore(self.settings.per_host)
        # The host's slot first: a feed waiting for a busy host must not hold one of the global slots
        # meanwhile, or a list with many feeds on one host would fetch only per_host at a time.
        return _Slots(self._hosts[host], self._all)

    async def _follow(self, url: str, headers: dict[str, str]) -> Fetched:
        """GET ``url`` and the redirects it leads to, within one deadline for the whole chain.

        The deadline runs from the first request sent: time spent waiting for a slot, behind the other
        feeds of a long list, is no fault of this server (a list of thousands waits longer than it).
        """
        hop, permanent = url, True
        deadline: float | None = None
        try:
            for _ in range(MAX_REDIRECTS + 1):
                async with self._slot(hop):
                    deadline = deadline or asyncio.get_running_loop().time() + self.settings.timeout
                    async with asyncio.timeout_at(deadline):
                        fetched, redirect = await self._once(url, hop, headers)
                if fetched is not None:
                    # Every hop permanent: the feed now lives at the last one, and the report says so.
                    return replace(fetched, moved_to=hop) if permanent and hop != url else fetched
                hop, status = redirect
                permanent = permanent and status in _PERMANENT
        except TimeoutError as exc:
            error = FetchError(
                f"timed out after {self.settings.timeout:g}s",
                source=url,
                hint="the server is slow; raise fetch.timeout if it is always like this",
            )
            raise _Retry(error) from exc
        raise FetchError(f"more than {MAX_REDIRECTS} redirects", source=url, hint="the URL redirects in a loop: fix it")

    async def _once(self, url: str, hop: str, headers: dict[str, str]) -> tuple[Fetched | None, tuple[str, int]]:
        """One request: its response, or ``None`` and where a redirect points (with its status)."""
        request = _request(self._client, url, hop, headers)
        try:
            response = await self._client.send(request, stream=True)
            try:
                if response.status_code in _REDIRECT and "Location" in response.headers:
                    # A redirect's body is never read: closing the unread stream drops that connection.
                    return None, (_next_hop(url, response), response.status_code)
                return await self._read(url, response), ("", 0)
            finally:
                await response.aclose()
        except Refused as exc:
            raise RefusedError(
                f"refused: {exc}, a private or reserved address",
                source=url,
                address=exc.address,
                hint=f'to read it, allow its network in fetch.allow_networks (e.g. ["{_network_of(exc.address)}"])',
            ) from exc
        except httpx.TimeoutException as exc:
            error = FetchError("timed out", source=url, hint="the server is slow; raise fetch.timeout")
            raise _Retry(error) from exc
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            error = FetchError(f"connection broken: {exc}", source=url, hint="the server hung up; retried next run")
            raise _Retry(error) from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"cannot fetch: {_reason(exc)}", source=url, hint=_network_hint(exc)) from exc

    async def _read(self, url: str, response: httpx.Response) -> Fetched:
        status = response.status_code
        if status in _RETRY_STATUS:
            after = _retry_after(response.headers.get("Retry-After", ""))
            error = FetchError(f"HTTP {status}", source=url, status=status, hint=status_hint(status))
            raise _Retry(error, after)
        if status >= 300 and status != 304:
            raise FetchError(f"HTTP {status}", source=url, status=status, hint=status_hint(status))
        validators = {
            "etag": response.headers.get("ETag", ""),
            "last_modified": response.headers.get("Last-Modified", ""),
        }
        if status == 304:
            # Read the (empty) body all the same: a connection is kept alive only after the response's
            # end was seen, and a new connection per 304 would cost more than the 304.
            await response.aread()
            return Fetched(url, 304, **validators)
        body = await _capped_body(url, response, self.settings.max_bytes)
        content_type = response.headers.get("Content-Type", "")
        return Fetched(url, status, body, content_type=content_type, **validators)


class _CookieJar(CookieJar):
    """The client's cookie jar, passing over responses that set no cookie.

    httpx hands every response to its jar, and the standard library's jar begins by copying all the
    headers into an email message: more CPU than the rest of a 304. Cookies still work as before, so
    a feed behind a redirect that sets one (a consent page, a load balancer) gets it back on the next hop.
    """

    def extract_cookies(self, response: HTTPResponse, request: urllib.request.Request) -> None:
        # httpx passes an adapter holding the httpx response; anything else takes the long way.
        headers = getattr(getattr(response, "response", None), "headers", None)
        if isinstance(headers, httpx.Headers) and "set-cookie" not in headers and "set-cookie2" not in headers:
            return
        super().extract_cookies(response, request)


class _Retry(Exception):
    """A failure worth another attempt: carries the error to raise when attempts run out."""

    def __init__(self, error: FetchError, after: float = 0.0) -> None:
        super().__init__(error.message)
        self.error = error
        self.after = after


class _Slots:
    """Hold the host's slot and the global slot for one request, taken in that order."""

    def __init__(self, *semaphores: asyncio.Semaphore) -> None:
        self._semaphores = semaphores

    async def __aenter__(self) -> None:
        held: list[asyncio.Semaphore] = []
        try:
            for semaphore in self._semaphores:
                await semaphore.acquire()
                held.append(semaphore)
        except BaseException:
            # Cancelled while waiting for the second slot: __aexit__ will not run to give back the first.
            for semaphore in reversed(held):
                semaphore.release()
            raise

    async def __aexit__(self, *exc: object) -> None:
        for semaphore in reversed(self._semaphores):
            semaphore.release()


async def _capped_body(url: str, response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("Content-Length", "")
    too_big = FetchError(
        f"response larger than {limit} bytes",
        source=url,
        hint="raise fetch.max_bytes if this feed is really that large",
    )
    if declared.isdigit() and int(declared) > limit:
        raise too_big
    if response.is_stream_consumed:
        # A response made whole in this process (an httpx.MockTransport's): httpx has read and decoded it.
        if len(response.content) > limit:
            raise too_big
        return response.content
    try:
        return await read_capped(response.aiter_raw(), response.headers.get("Content-Encoding", ""), limit)
    except TooLarge as exc:
        raise too_big from exc
    except UnsupportedEncoding as exc:
        raise FetchError(str(exc), source=url, hint="the server's compression is broken or unusual") from exc


def _request(client: httpx.AsyncClient, url: str, hop: str, headers: dict[str, str]) -> httpx.Request:
    try:
        request = client.build_request("GET", hop, headers=headers)
    except httpx.InvalidURL as exc:
        raise FetchError(f"not a valid URL: {hop[:200]}", source=url, hint="check the URL") from exc
    if request.url.scheme not in ("http", "https"):
        raise FetchError(
            f"cannot fetch a {request.url.scheme or 'relative'} URL ({hop[:200]})",
            source=url,
            hint="only http:// and https:// URLs are read",
        )
    return request


def _next_hop(url: str, response: httpx.Response) -> str:
    """The absolute URL a redirect points to; an HTTPS page never sends us on over plain HTTP."""
    try:
        target = response.url.join(response.headers["Location"])
    except httpx.InvalidURL as exc:
        raise FetchError("redirects to an invalid URL", source=url, hint="the server's redirect is broken") from exc
    if response.url.scheme == "https" and target.scheme != "https":
        raise FetchError(
            f"refused: redirect from HTTPS to {target.scheme} ({str(target)[:200]})",
            source=url,
            hint="the server downgrades the connection; use the final URL if it is meant to be read",
        )
    return str(target)


def _network_of(address: str) -> str:
    return f"{address}/128" if ":" in address else f"{address}/32"


def _retry_after(value: str) -> float:
    value = value.strip()
    if not value:
        return 0.0
    if value.isdigit():
        return float(value)
    when = http_date(value)
    if when is None:
        return 0.0
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _reason(exc: httpx.HTTPError) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


def _network_hint(exc: httpx.HTTPError) -> str:
    text = str(exc).lower()
    if "name or service" in text or "nodename" in text or "getaddrinfo" in text or "name resolution" in text:
        return "the host name does not resolve: check the URL for typos"
    if "ssl" in text or "certificate" in text or "tls" in text:
        return "the TLS handshake failed: the server's certificate or https setup is broken"
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect: the server is down or the URL's host/port is wrong"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "only http:// and https:// URLs can be fetched"
    return "check the URL and the network"


def status_hint(status: int) -> str:
    """What to do about an HTTP error status."""
    if status == 410:
        return "the feed is gone for good: remove it from the config"
    if status == 404:
        return "no feed at this URL: check it, the site may have moved its feed"
    if status in (401, 403):
        return "the server refuses access: the feed may need a login or blocks this User-Agent"
    if status == 429:
        return "the server rate-limits us: it is retried next run"
    if status >= 500:
        return "the server failed: it is retried next run"
    return "check the URL"
