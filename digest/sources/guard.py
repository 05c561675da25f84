"""Where a fetch may connect: public addresses, plus the networks the user allowed.

A feed, an OPML list or an article page is named by a stranger, and so is every redirect it
answers with. Left alone, a run in CI would GET ``http://169.254.169.254/`` (a cloud's credentials),
``http://localhost:6379/`` or an intranet page and publish what came back. The check is made on the
addresses a host name resolves to, at the moment of connecting, inside the network backend httpcore
connects through: a name that resolves to a public address when first looked at and to a private
one a second later (DNS rebinding) is judged on the address actually connected to.

A proxy the user configured is trusted: the policy never judges the proxy's own address, only the
destination (see :func:`check_destination`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import typing
from collections.abc import Iterable
from dataclasses import dataclass

import httpcore

__all__ = [
    "DestinationPolicy",
    "GuardedBackend",
    "GuardedSyncBackend",
    "Refused",
    "check_destination",
    "check_destination_now",
    "embedded_ipv4",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Refused(Exception):
    """A destination the policy refuses; carries the host and the address it resolved to."""

    def __init__(self, host: str, address: str) -> None:
        shown = address + _carried(address)
        super().__init__(f"{host} resolves to {shown}" if host != address else shown)
        self.host = host
        self.address = address


@dataclass(frozen=True, slots=True)
class DestinationPolicy:
    """Refuse every address that is not globally routable, unless it lies in ``allow``."""

    allow: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_strings(cls, networks: Iterable[str]) -> DestinationPolicy:
        return cls(tuple(ipaddress.ip_network(n, strict=False) for n in networks))

    def permitted(self, host: str, addresses: typing.Sequence[str]) -> list[str]:
        """The addresses ``host`` resolved to that may be reached, in order; :class:`Refused` when none may."""
        allowed = [a for a in addresses if self.allows(a)]
        if not allowed:
            raise Refused(host, addresses[0])
        return allowed

    def allows(self, address: str) -> bool:
        """Whether ``address`` may be reached: the one check of direct and proxied requests alike."""
        ip = _parse(address)
        if self._named(ip):
            return True
        if isinstance(ip, ipaddress.IPv6Address):
            if any(ip in net for net in _LOCAL_V6):
                return False
            inside = embedded_ipv4(ip)
            # A translated form is the IPv4 host in disguise: that host is the destination judged.
            # A 6to4 or Teredo address is an IPv6 host reached through the IPv4 one: both are judged.
            own = any(ip in net for net in _TRANSLATED) or _public(ip)
            return own and all(self._named(v4) or _public(v4) for v4 in inside)
        return _public(ip)

    def _named(self, ip: IPAddress) -> bool:
        return any(ip.version == net.version and ip in net for net in self.allow)


def _public(ip: IPAddress) -> bool:
    # is_global is False for loopback, RFC 1918, link-local, unique-local, shared (100.64/10),
    # documentation and reserved ranges; multicast can be "global", so it is refused apart.
    return ip.is_global and not ip.is_multicast and not ip.is_unspecified


# IPv6 forms that carry an IPv4 address a packet to them ends up at (RFC 4291, 6052, 6145, 8215):
# IPv4-compatible, IPv4-mapped, SIIT and the NAT64 prefixes. Python's is_global calls all but the
# mapped form global, so a policy judging the IPv6 address alone lets [64:ff9b::a9fe:a9fe] reach
# 169.254.169.254 through any NAT64 gateway.
_TRANSLATED = tuple(
    ipaddress.IPv6Network(n) for n in ("::/96", "::ffff:0:0/96", "::ffff:0:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48")
)
# Networks of this site only, never public whatever they embed: NAT64 local-use (RFC 8215) and the
# deprecated site-local prefix (RFC 3879), both "global" to Python 3.11.
_LOCAL_V6 = tuple(ipaddress.IPv6Network(n) for n in ("64:ff9b:1::/48", "fec0::/10"))


def embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address carries: its last 32 bits in a translated form, the
    address after the prefix in 6to4 (2002::/16), the server and the (XOR-ed) client in Teredo.
    """
    found: list[ipaddress.IPv4Address] = []
    if any(ip in net for net in _TRANSLATED):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    return tuple(found)


def _carried(address: str) -> str:
    """`` (169.254.169.254)`` after an IPv6 address that carries that IPv4 one, so the report shows it."""
    try:
        ip = _parse(address)
    except ValueError:
        return ""
    inside = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else ()
    return f" ({', '.join(map(str, inside))})" if inside else ""


def _parse(address: str) -> IPAddress:
    # A scoped IPv6 address (fe80::1%eth0) names its zone after the percent sign.
    return ipaddress.ip_address(address.split("%", 1)[0])


async def _resolve(host: str, port: int) -> list[str]:
    try:
        return [str(_parse(host))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _resolve_now(host: str, port: int) -> list[str]:
    try:
        return [str(_parse(host))]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_destination_now(policy: DestinationPolicy, host: str, port: int) -> None:
    """:func:`check_destination` for a blocking client (the LLM's)."""
    try:
        addresses = _resolve_now(host, port)
    except OSError:
        return
    for address in addresses:
        if not policy.allows(address):
            raise Refused(host, address)


async def check_destination(policy: DestinationPolicy, host: str, port: int) -> None:
    """For a request sent through a proxy: refuse when the destination resolves here to a refused address.

    The proxy makes the connection, so there is no connect-time check; every address the name has
    here must be allowed. A name this machine cannot resolve is left to the proxy (behind a corporate
    proxy, outside names often resolve only there), which the user trusts by configuring it.
    """
    try:
        addresses = await _resolve(host, port)
    except OSError:
        return
    for address in addresses:
        if not policy.allows(address):
            raise Refused(host, address)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses the policy allows.

    The name is resolved here and the connection made to one of its allowed addresses, in the
    resolver's order of preference, the next one tried when one cannot be reached. TLS still
    verifies the certificate against the host name: httpcore takes it from the request, not from
    the address connected to.
    """

    def __init__(self, policy: DestinationPolicy, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.policy = policy
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await _resolve(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        allowed = self.policy.permitted(host, addresses)
        for address in allowed[:-1]:
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError:
                continue
        return await self._inner.connect_tcp(allowed[-1], port, timeout, local_address, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise Refused(path, path)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedSyncBackend(httpcore.NetworkBackend):
    """:class:`GuardedBackend` for a blocking client: the LLM endpoint is held to the same policy."""

    def __init__(self, policy: DestinationPolicy, inner: httpcore.NetworkBackend | None = None) -> None:
        self.policy = policy
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = _resolve_now(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        allowed = self.policy.permitted(host, addresses)
        for address in allowed[:-1]:
            try:
                return self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError:
                continue
        return self._inner.connect_tcp(allowed[-1], port, timeout, local_address, socket_options)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise Refused(path, path)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
