"""The transport under the fetcher: HTTP/1.1 on h11 over asyncio streams, a few kept-alive connections per host.

httpx's default transport is httpcore: HTTP/2, proxies, and trio or asyncio through anyio. A weekly
run of thousands of feeds that mostly answer 304 is bound by the work done per request, not by the
network, and httpcore's generality is most of that work: each request takes several anyio locks
(every one a trip round the event loop), enters cancel scopes, and has one shared pool scan all its
connections. A feed reader needs plain HTTP/1.1 GETs with keep-alive. h11, the protocol engine
httpcore itself is built on, does all the parsing here; this module only opens, reuses and closes
connections, which cuts a warm run's CPU by about a third (``benchmarks/fetch_speed.py``).

Proxies from the environment are untouched: httpx mounts its own transports for them.
OS, TLS, timeout and protocol errors become httpx's at this boundary, as httpx's own transport does.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from functools import partial
from types import TracebackType

import h11
import httpx

__all__ = ["PerHostTransport"]

_Origin = tuple[bytes, bytes, int]

# Servers drop idle keep-alive connections after a few seconds (Apache after 5): reusing one that
# old risks the server's close crossing our request on the wire.
_KEEPALIVE_EXPIRY = 4.0
_READ_SIZE = 65536
# How long a closing connection may take to say goodbye (TLS close_notify) before it is cut.
_CLOSE_WAIT = 1.0
_DEFAULT_PORT = {b"http": 80, b"https": 443}


class _HttpxErrors:
    """Raise what happens inside as the httpx error of the phase (connect, write or read).

    A class rather than a generator: it wraps every step of every request, and costs less this way.
    """

    __slots__ = ("_failed", "_request", "_timed_out")

    def __init__(
        self, request: httpx.Request, timed_out: type[httpx.TimeoutException], failed: type[httpx.NetworkError]
    ) -> None:
        self._request = request
        self._timed_out = timed_out
        self._failed = failed

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc is None:
            return
        request = self._request
        if isinstance(exc, TimeoutError):
            raise self._timed_out(str(exc) or "timed out", request=request) from exc
        if isinstance(exc, h11.RemoteProtocolError):
            raise httpx.RemoteProtocolError(str(exc), request=request) from exc
        if isinstance(exc, h11.LocalProtocolError):
            raise httpx.LocalProtocolError(str(exc), request=request) from exc
        if isinstance(exc, OSError):  # ssl.SSLError included
            raise self._failed(str(exc) or type(exc).__name__, request=request) from exc


class _Connection:
    """One socket and its h11 state machine, carrying one request at a time."""

    __slots__ = ("_reader", "_writer", "h11", "idle_since")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self.h11 = h11.Connection(h11.CLIENT)
        self.idle_since = 0.0

    def reusable(self, now: float) -> bool:
        # The server may have hung up while the connection was idle: end of stream or an error
        # already seen means it must not carry the next request.
        reader = self._reader
        hung_up = reader.at_eof() or reader.exception() is not None or self._writer.is_closing()
        return not hung_up and now - self.idle_since < _KEEPALIVE_EXPIRY

    def finished(self) -> bool:
        """Whether the exchange ended cleanly; if so the connection is ready for the next one."""
        if self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE:
            self.h11.start_next_cycle()
            self.idle_since = time.monotonic()
            return True
        return False

    async def send(self, events: list[h11.Event], timeout: float | None) -> None:
        writer = self._writer
        writer.write(b"".join(self.h11.send(event) or b"" for event in events))
        if writer.transport.get_write_buffer_size():  # a small request has usually gone out at once
            async with asyncio.timeout(timeout):
                await writer.drain()

    async def receive(self, timeout: float | None) -> h11.Event:
        while True:
            event = self.h11.next_event()
            if event is not h11.NEED_DATA:
                return event  # type: ignore[return-value]
            async with asyncio.timeout(timeout):
                data = await self._reader.read(_READ_SIZE)
            if not data and self.h11.their_state is h11.SEND_RESPONSE:
                # h11 would call this an event it cannot handle; say what the server did.
                raise h11.RemoteProtocolError("the server closed the connection without answering")
            self.h11.receive_data(data)

    async def close(self, within: float) -> None:
        """Close, waiting for the close to complete; cut the connection if that takes over ``within`` seconds.

        TLS says goodbye both ways (close_notify): a socket still waiting for the server's when the
        event loop ends is never closed at all.
        """
        self._writer.close()
        try:
            async with asyncio.timeout(within):
                await self._writer.wait_closed()
        except (TimeoutError, OSError):
            self._writer.transport.abort()


class PerHostTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 with at most ``per_host`` connections per (scheme, host, port), kept alive between requests.

    A request waits (up to the pool timeout) while its host has ``per_host`` responses open, so a
    host that many feeds redirect to is not flooded either. The idle connections of hosts not asked
    for lately are closed, so open sockets stay near ``keep_hosts`` hosts' worth.
    """

    def __init__(self, *, per_host: int, keep_hosts: int, ssl_context: ssl.SSLContext | None = None) -> None:
        self._per_host = per_host
        self._keep = keep_hosts
        self._ssl = ssl_context
        self._idle: OrderedDict[_Origin, list[_Connection]] = OrderedDict()
        self._slots: dict[_Origin, asyncio.Semaphore] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.raw_scheme not in _DEFAULT_PORT:
            raise httpx.UnsupportedProtocol(f"cannot fetch a {url.scheme!r} URL", request=request)
        origin = (url.raw_scheme, url.raw_host, url.port or _DEFAULT_PORT[url.raw_scheme])
        timeouts = request.extensions.get("timeout", {})
        slot = self._slots.get(origin) or self._slots.setdefault(origin, asyncio.Semaphore(self._per_host))
        if slot.locked():
            with _HttpxErrors(request, httpx.PoolTimeout, httpx.ConnectError):
                async with asyncio.timeout(timeouts.get("pool")):
                    await slot.acquire()
        else:
            await slot.acquire()  # free: returns without yielding
        connection = None
        try:
            connection = self._idle_connection(origin) or await self._connect(origin, request, timeouts.get("connect"))
            return await self._exchange(connection, origin, request, timeouts)
        except BaseException:
            slot.release()
            if connection is not None:
                self._discard(connection)
            raise

    async def _exchange(
        self, connection: _Connection, origin: _Origin, request: httpx.Request, timeouts: dict[str, float | None]
    ) -> httpx.Response:
        head = h11.Request(method=request.method, target=request.url.raw_path, headers=request.headers.raw)
        events: list[h11.Event] = [head]
        assert isinstance(request.stream, httpx.AsyncByteStream)  # an AsyncClient's requests always are
        async for chunk in request.stream:
            if chunk:
                events.append(h11.Data(data=chunk))
        events.append(h11.EndOfMessage())
        with _HttpxErrors(request, httpx.WriteTimeout, httpx.WriteError):
            await connection.send(events, timeouts.get("write"))
        read_timeout = timeouts.get("read")
        with _HttpxErrors(request, httpx.ReadTimeout, httpx.ReadError):
            event = await connection.receive(read_timeout)
            while isinstance(event, h11.InformationalResponse):
                event = await connection.receive(read_timeout)
        if not isinstance(event, h11.Response):
            raise httpx.RemoteProtocolError("the server closed the connection without answering", request=request)
        body = _Body(connection, partial(self._release, origin), request, read_timeout)
        extensions = {"http_version": b"HTTP/" + event.http_version, "reason_phrase": event.reason}
        return httpx.Response(event.status_code, headers=event.headers.raw_items(), stream=body, extensions=extensions)

    def _idle_connection(self, origin: _Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            connection = idle.pop()  # the most recently used is the least likely to have been dropped
            if connection.reusable(now):
                return connection
            self._discard(connection)
        return None

    async def _connect(self, origin: _Origin, request: httpx.Request, timeout: float | None) -> _Connection:
        scheme, raw_host, port = origin
        host = raw_host.decode("ascii")
        context = self._tls_context() if scheme == b"https" else None
        with _HttpxErrors(request, httpx.ConnectTimeout, httpx.ConnectError):
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=context, server_hostname=host if context else None
                )
        sock = writer.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # A request longer than one segment would have its last, partial segment held back by
            # Nagle until the server's delayed ACK, tens of milliseconds later.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return _Connection(reader, writer)

    def _tls_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            # Loading the CA bundle costs tens of milliseconds: only once, and only if TLS is used.
            self._ssl = httpx.create_ssl_context()
            self._ssl.set_alpn_protocols(["http/1.1"])
        return self._ssl

    def _release(self, origin: _Origin, connection: _Connection) -> None:
        """Keep a connection whose exchange ended cleanly for the host's next request; close any other."""
        self._slots[origin].release()
        if self._closed or not connection.finished():
            self._discard(connection)
            return
        idle = self._idle.setdefault(origin, [])
        self._idle.move_to_end(origin)
        if len(idle) >= self._per_host:
            self._discard(connection)
        else:
            idle.append(connection)
        while len(self._idle) > 2 * self._keep:
            for stale in self._idle.popitem(last=False)[1]:
                self._discard(stale)

    def _discard(self, connection: _Connection) -> None:
        """Close a connection in the background; :meth:`aclose` waits for every close to finish."""
        closing = asyncio.get_running_loop().create_task(connection.close(_CLOSE_WAIT))
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)

    async def aclose(self) -> None:
        self._closed = True
        for idle in self._idle.values():
            for connection in idle:
                self._discard(connection)
        self._idle.clear()
        await asyncio.gather(*self._closing)


class _Body(httpx.AsyncByteStream):
    """A response body read from its connection, which goes back to the transport when the body is closed."""

    def __init__(
        self,
        connection: _Connection,
        release: Callable[[_Connection], None],
        request: httpx.Request,
        timeout: float | None,
    ) -> None:
        self._connection: _Connection | None = connection
        self._release = release
        self._request = request
        self._timeout = timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        connection = self._connection
        if connection is None:
            raise httpx.StreamClosed()
        with _HttpxErrors(self._request, httpx.ReadTimeout, httpx.ReadError):
            while True:
                event = await connection.receive(self._timeout)
                if not isinstance(event, h11.Data):
                    return  # EndOfMessage: h11 has checked the body's framing
                yield bytes(event.data)

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            self._release(connection)
