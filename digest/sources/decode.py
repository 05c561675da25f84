"""Reading a response body within a cap, on the wire and after decompression alike.

httpx decodes a whole network chunk at once, so a 64 KB chunk of a gzip bomb becomes 64 MB before
any cap can look at it, and a brotli one far more. Here every decompressor is asked for at most
what is left under the cap, and asked again only while the cap holds, so a bomb costs the cap and
no more. One encoding is read, from those we ask for; stacked or unknown ones are refused rather
than passed on undecoded to a parser.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterable
from typing import Protocol

import brotli

__all__ = ["ACCEPT_ENCODING", "TooLarge", "UnsupportedEncoding", "read_capped"]

ACCEPT_ENCODING = "gzip, deflate, br"


class TooLarge(Exception):
    """The body, raw or decoded, passed the cap."""


class UnsupportedEncoding(Exception):
    """A Content-Encoding we did not ask for, or more than one stacked."""


class _Decoder(Protocol):
    def feed(self, data: bytes, room: int) -> bytes: ...

    def more(self, room: int) -> bytes: ...


class _Identity:
    def feed(self, data: bytes, room: int) -> bytes:
        return data

    def more(self, room: int) -> bytes:
        return b""


class _Zlib:
    def __init__(self, wbits: int) -> None:
        self._wbits = wbits
        self._z = zlib.decompressobj(wbits)
        self._first = True

    def feed(self, data: bytes, room: int) -> bytes:
        try:
            out = self._z.decompress(data, room)
        except zlib.error:
            if not (self._first and self._wbits == zlib.MAX_WBITS):
                raise
            # "deflate" is meant to be zlib-wrapped, but some servers send raw deflate.
            self._wbits = -zlib.MAX_WBITS
            self._z = zlib.decompressobj(self._wbits)
            out = self._z.decompress(data, room)
        self._first = False
        return out

    def more(self, room: int) -> bytes:
        tail = self._z.unconsumed_tail
        return self._z.decompress(tail, room) if tail else b""


class _Brotli:
    def __init__(self) -> None:
        self._b = brotli.Decompressor()

    def feed(self, data: bytes, room: int) -> bytes:
        return bytes(self._b.process(data, output_buffer_limit=room))

    def more(self, room: int) -> bytes:
        if self._b.can_accept_more_data():
            return b""
        return bytes(self._b.process(b"", output_buffer_limit=room))


def _decoder(content_encoding: str) -> _Decoder:
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if len(codings) > 1:
        raise UnsupportedEncoding(f"stacked Content-Encodings ({content_encoding}) are not read")
    coding = codings[0] if codings else ""
    if coding == "":
        return _Identity()
    if coding in ("gzip", "x-gzip"):
        return _Zlib(zlib.MAX_WBITS | 16)
    if coding == "deflate":
        return _Zlib(zlib.MAX_WBITS)
    if coding == "br":
        return _Brotli()
    raise UnsupportedEncoding(f"Content-Encoding {coding!r} was not asked for ({ACCEPT_ENCODING} were)")


async def read_capped(raw: AsyncIterable[bytes], content_encoding: str, limit: int) -> bytes:
    """The decoded body of ``raw``; :class:`TooLarge` as soon as more than ``limit`` bytes would be held."""
    decoder = _decoder(content_encoding)
    body = bytearray()
    received = 0
    try:
        async for chunk in raw:
            received += len(chunk)
            if received > limit:
                raise TooLarge(f"more than {limit} bytes on the wire")
            body += decoder.feed(chunk, limit + 1 - len(body))
            while len(body) <= limit and (out := decoder.more(limit + 1 - len(body))):
                body += out
            if len(body) > limit:
                raise TooLarge(f"more than {limit} bytes once decompressed")
    except (zlib.error, brotli.error) as exc:
        raise UnsupportedEncoding(f"the compressed body is corrupt: {exc}") from exc
    return bytes(body)
