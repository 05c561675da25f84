"""The httpx transport every fetch goes through: httpcore's pools, the destination policy, proxies.

httpx's own ``AsyncHTTPTransport`` builds its httpcore pool with the default network backend and
offers no way to hand it another, so this transport builds the same pools through httpcore's
public API with a :class:`~digest.sources.guard.GuardedBackend`, and adapts requests, responses and
errors at the boundary as httpx's does. Everything else (connection reuse, stale-connection checks,
TLS, HTTP/1.1 framing) is httpcore's.

Proxies come from the environment as every HTTP tool reads them (``HTTP_PROXY``, ``HTTPS_PROXY``,
``ALL_PROXY``, ``NO_PROXY``, upper or lower case). httpx would read them too, but only when it builds
its own transport.
"""

from __future__ import annotations

import ipaddress
import ssl
import urllib.request
from collections import Counter, OrderedDict
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager

import httpcore
import httpx

from ..config import FetchConfig
from .guard import DestinationPolicy, GuardedBackend, GuardedSyncBackend, check_destination, check_destination_now

__all__ = ["GuardedSyncTransport", "GuardedTransport"]

# Most specific first: httpcore's timeouts and network errors are subclasses of wider ones.
_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextmanager
def _mapped(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for theirs, ours in _ERRORS:
            if isinstance(exc, theirs):
                raise ours(str(exc), request=request) from exc
        raise


class _Body(httpx.AsyncByteStream):
    def __init__(self, stream: AsyncIterable[bytes], request: httpx.Request, done: Callable[[], None]) -> None:
        self._stream = stream
        self._request = request
        self._done = done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped(self._request):
            async for chunk in self._stream:
                yield chunk

    async def aclose(self) -> None:
        try:
            closer = getattr(self._stream, "aclose", None)
            if closer is not None:
                with _mapped(self._request):
                    await closer()
        finally:
            self._done()


Pool = httpcore.AsyncConnectionPool


class GuardedTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over httpcore, connecting only where ``policy`` allows, through the environment's proxies.

    One small httpcore pool per origin (``per_host`` connections), the ``keep_hosts`` most recently
    used kept alive. httpcore's pool finds a connection for each request by scanning all of its own,
    so one pool for a run over hundreds of hosts spends more on that scan than on the requests.
    """

    def __init__(
        self,
        policy: DestinationPolicy,
        *,
        per_host: int = FetchConfig().per_host,
        keep_hosts: int = FetchConfig().concurrency,
        ssl_context: ssl.SSLContext | None = None,
        proxies: Mapping[str, str] | None = None,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.policy = policy
        self._ssl = ssl_context or httpx.create_ssl_context()
        self._per_host = per_host
        self._keep = keep_hosts
        self._proxies = dict(urllib.request.getproxies() if proxies is None else proxies)
        self._inner = network_backend
        self._guarded = GuardedBackend(policy, network_backend)
        self._pools: OrderedDict[tuple[str, ...], Pool] = OrderedDict()
        self._busy: Counter[tuple[str, ...]] = Counter()

    def proxy_for(self, url: httpx.URL) -> str:
        """The proxy a request to ``url`` goes through, or ``""`` for a direct connection."""
        proxy = self._proxies.get(url.scheme) or self._proxies.get("all", "")
        if not proxy or _bypassed(url.host, url.port, self._proxies):
            return ""
        return proxy if "://" in proxy else f"http://{proxy}"

    def _new_pool(self, proxy: str) -> Pool:
        if proxy:
            # The proxy is the user's own choice: connecting to it is never judged, whatever its address.
            return httpcore.AsyncHTTPProxy(
                proxy_url=proxy,
                ssl_context=self._ssl,
                max_connections=self._per_host * self._keep,
                network_backend=self._inner,
            )
        return Pool(ssl_context=self._ssl, max_connections=self._per_host, network_backend=self._guarded)

    async def _take(self, key: tuple[str, ...], proxy: str) -> Pool:
        pool = self._pools.pop(key, None) or self._new_pool(proxy)
        self._pools[key] = pool  # now the most recently used
        self._busy[key] += 1
        # Past keep_hosts, close the least recently used pools that have nothing in flight.
        idle = [k for k in self._pools if not self._busy[k]][: max(0, len(self._pools) - self._keep)]
        for old in idle:
            closing = self._pools.pop(old, None)  # another request may have closed it while we waited
            if closing is not None:
                await closing.aclose()
        return pool

    def _give_back(self, key: tuple[str, ...]) -> None:
        self._busy[key] -= 1
        if not self._busy[key]:
            del self._busy[key]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        proxy = self.proxy_for(url)
        if proxy:
            await check_destination(self.policy, url.host, url.port or _port(url.scheme))
        key = ("proxy", proxy) if proxy else (url.scheme, url.host, str(url.port))
        pool = await self._take(key, proxy)
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            with _mapped(request):
                response = await pool.handle_async_request(core)
        except BaseException:
            self._give_back(key)
            raise
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response.stream, request, lambda: self._give_back(key)),  # type: ignore[arg-type]
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        for pool in self._pools.values():
            await pool.aclose()
        self._pools.clear()


class _SyncBody(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes], request: httpx.Request) -> None:
        self._stream = stream
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        with _mapped(self._request):
            yield from self._stream

    def close(self) -> None:
        closer = getattr(self._stream, "close", None)
        if closer is not None:
            with _mapped(self._request):
                closer()


class GuardedSyncTransport(httpx.BaseTransport):
    """A blocking client's transport (the LLM's) under the same destination policy and proxies.

    A few requests to one endpoint: one pool, direct or through the environment's proxy.
    """

    def __init__(self, policy: DestinationPolicy, *, proxies: Mapping[str, str] | None = None) -> None:
        self.policy = policy
        self._ssl = httpx.create_ssl_context()
        self._router = GuardedTransport(policy, proxies=proxies)  # only its proxy_for is used
        self._direct = httpcore.ConnectionPool(ssl_context=self._ssl, network_backend=GuardedSyncBackend(policy))
        self._proxied: dict[str, httpcore.HTTPProxy] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        proxy = self._router.proxy_for(url)
        pool: httpcore.ConnectionPool = self._direct
        if proxy:
            check_destination_now(self.policy, url.host, url.port or _port(url.scheme))
            pool = self._proxied.setdefault(proxy, httpcore.HTTPProxy(proxy_url=proxy, ssl_context=self._ssl))
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _mapped(request):
            response = pool.handle_request(core)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_SyncBody(response.stream, request),  # type: ignore[arg-type]
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._direct.close()
        for pool in self._proxied.values():
            pool.close()


def _port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _bypassed(host: str, port: int | None, proxies: Mapping[str, str]) -> bool:
    """Whether ``NO_PROXY`` names the host: as curl reads it, a list of ``*``, host names (which
    cover their subdomains, with or without a leading dot), addresses and CIDR networks, each
    optionally with a port. The standard library's reader is undocumented and knows no CIDR.
    """
    host = host.lower().strip("[]")
    for entry in (e.strip().lower() for e in proxies.get("no", "").split(",")):
        name, _, only_port = entry.rpartition(":") if _has_port(entry) else (entry, "", "")
        if not name or (only_port and only_port != str(port)):
            continue
        name = name.strip("[]")
        if name == "*" or host == name.lstrip(".") or host.endswith("." + name.lstrip(".")):
            return True
        if _in_network(host, name):
            return True
    return False


def _has_port(entry: str) -> bool:
    head, sep, tail = entry.rpartition(":")
    return bool(sep) and tail.isdigit() and (head.endswith("]") or ":" not in head)


def _in_network(host: str, entry: str) -> bool:
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
