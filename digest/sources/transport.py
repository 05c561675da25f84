"""The transport under the fetcher: a few kept-alive connections per host, on asyncio's own streams.

httpx's default transport is one httpcore pool for every host, and httpcore reaches the network
through anyio. For a feed reader both cost more than the request: one shared pool either evicts the
keep-alive connections of a thousand hosts or, made large, scans every connection for every request;
and anyio wraps each socket read and write in cancel scopes and rebuilds a socket's attributes on
every idle-connection check. A weekly run of thousands of feeds that mostly answer 304 is bound by
that per-request work, not by the network, so this transport keeps one small httpcore pool per host
and gives httpcore a network backend written directly on :func:`asyncio.open_connection`.

httpcore's exceptions are mapped to httpx's here, at the boundary, as httpx's own transport does.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

__all__ = ["AsyncioBackend", "PerHostTransport"]

_PoolKey = tuple[bytes, bytes, int | None]

# The most specific class wins: the map is searched along the httpcore exception's MRO.
_HTTPX_ERROR: dict[type[Exception], type[httpx.TransportError]] = {
    httpcore.TimeoutException: httpx.TimeoutException,
    httpcore.ConnectTimeout: httpx.ConnectTimeout,
    httpcore.ReadTimeout: httpx.ReadTimeout,
    httpcore.WriteTimeout: httpx.WriteTimeout,
    httpcore.PoolTimeout: httpx.PoolTimeout,
    httpcore.NetworkError: httpx.NetworkError,
    httpcore.ConnectError: httpx.ConnectError,
    httpcore.ReadError: httpx.ReadError,
    httpcore.WriteError: httpx.WriteError,
    httpcore.ProxyError: httpx.ProxyError,
    httpcore.UnsupportedProtocol: httpx.UnsupportedProtocol,
    httpcore.ProtocolError: httpx.ProtocolError,
    httpcore.LocalProtocolError: httpx.LocalProtocolError,
    httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
}


@contextmanager
def _httpx_errors(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for kind in type(exc).__mro__:
            if kind in _HTTPX_ERROR:
                raise _HTTPX_ERROR[kind](str(exc), request=request) from exc
        raise


class PerHostTransport(httpx.AsyncBaseTransport):
    """One small httpcore pool per (scheme, host, port) behind the one client.

    Each pool keeps ``per_host`` connections alive for the feeds its host serves; pools of hosts not
    asked for lately are closed, so open sockets stay near ``concurrency``.
    """

    def __init__(self, *, per_host: int, keep_hosts: int, ssl_context: ssl.SSLContext | None = None) -> None:
        self._per_host = per_host
        self._keep = keep_hosts
        self._ssl = ssl_context
        self._backend = AsyncioBackend()
        self._pools: OrderedDict[_PoolKey, httpcore.AsyncConnectionPool] = OrderedDict()
        self._busy: Counter[_PoolKey] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        key = (url.raw_scheme, url.raw_host, url.port)
        pool = self._pools.get(key)
        if pool is None:
            await self._close_idle()
            if self._ssl is None and url.raw_scheme == b"https":
                # Loading the CA bundle costs tens of milliseconds: only once, and only if TLS is used.
                self._ssl = httpx.create_ssl_context()
            pool = self._pools[key] = httpcore.AsyncConnectionPool(
                ssl_context=self._ssl,
                max_connections=self._per_host,
                max_keepalive_connections=self._per_host,
                network_backend=self._backend,
            )
        self._pools.move_to_end(key)
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        self._busy[key] += 1
        try:
            with _httpx_errors(request):
                response = await pool.handle_async_request(core)
        except BaseException:
            self._busy[key] -= 1
            raise
        stream = _Body(response, request, lambda: self._busy.subtract((key,)))
        return httpx.Response(response.status, headers=response.headers, stream=stream, extensions=response.extensions)

    async def _close_idle(self) -> None:
        """Close the pools of the hosts asked for longest ago that have no response open."""
        extra = len(self._pools) - 2 * self._keep
        if extra > 0:
            for key in [k for k in self._pools if not self._busy[k]][:extra]:
                del self._busy[key]
                await self._pools.pop(key).aclose()

    async def aclose(self) -> None:
        for pool in self._pools.values():
            await pool.aclose()
        self._pools.clear()


class _Body(httpx.AsyncByteStream):
    """A response body with httpcore's errors mapped, that says when it is closed (its pool stays open till then)."""

    def __init__(self, response: httpcore.Response, request: httpx.Request, done: Callable[[], None]) -> None:
        self._response = response
        self._request = request
        self._done: Callable[[], None] | None = done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _httpx_errors(self._request):
            async for chunk in self._response.aiter_stream():
                yield chunk

    async def aclose(self) -> None:
        try:
            with _httpx_errors(self._request):
                await self._response.aclose()
        finally:
            if self._done is not None:
                self._done()
                self._done = None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend on asyncio streams; OS and TLS errors become httpcore's."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        local = (local_address, 0) if local_address else None
        stream = await _opened(asyncio.open_connection(host, port, local_addr=local), timeout)
        sock = stream.get_extra_info("socket")
        if sock is not None:
            # A request goes out in two writes (head, then body): Nagle would hold the second one back.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for option in socket_options or ():
                sock.setsockopt(*option)
        return stream

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return await _opened(asyncio.open_unix_connection(path), timeout)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def _opened(
    opening: Coroutine[Any, Any, tuple[asyncio.StreamReader, asyncio.StreamWriter]], timeout: float | None
) -> _Stream:
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await opening
    except TimeoutError as exc:
        raise httpcore.ConnectTimeout(str(exc) or "connect timed out") from exc
    except OSError as exc:
        raise httpcore.ConnectError(str(exc)) from exc
    return _Stream(reader, writer)


class _Stream(httpcore.AsyncNetworkStream):
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(str(exc) or "read timed out") from exc
        except OSError as exc:
            raise httpcore.ReadError(str(exc)) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            self._writer.write(buffer)
            async with asyncio.timeout(timeout):
                await self._writer.drain()
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(str(exc) or "write timed out") from exc
        except OSError as exc:
            raise httpcore.WriteError(str(exc)) from exc

    async def aclose(self) -> None:
        self._writer.close()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc) or "TLS handshake timed out") from exc
        except (OSError, ssl.SSLError) as exc:
            self._writer.close()
            raise httpcore.ConnectError(str(exc)) from exc
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # httpcore asks before reusing an idle connection: end of stream or an error there means
            # the server hung up meanwhile, and the connection must not carry the next request.
            reader = self._reader
            return reader.at_eof() or reader.exception() is not None or self._writer.is_closing()
        names = {"ssl_object": "ssl_object", "client_addr": "sockname", "server_addr": "peername", "socket": "socket"}
        return self._writer.get_extra_info(names[info]) if info in names else None
