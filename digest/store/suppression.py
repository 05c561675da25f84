"""The suppression list: addresses a digest no longer sends to, compared by their address part."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from email.utils import parseaddr

from ..addresses import parse_mailbox
from .core import Repository

__all__ = ["SuppressionRepository", "is_address", "normal_address"]


def normal_address(address: str) -> str:
    """The address part of ``address`` (``Ann <ann@x.org>`` → ``ann@x.org``), lower-cased, for comparison."""
    return (parseaddr(address)[1] or address).strip().lower()


def is_address(text: str) -> bool:
    """Whether ``text`` is one plain e-mail address (``ann@example.org``): no name, checked as the config's are."""
    try:
        parse_mailbox(text, display_name=False)
    except ValueError:
        return False
    return True


class SuppressionRepository(Repository):
    """This digest's suppressed addresses."""

    def add(self, addresses: Iterable[str], *, at: datetime) -> int:
        """Put ``addresses`` on this digest's suppression list; returns how many were not on it."""
        wanted = [normal_address(a) for a in addresses]
        new = [a for a in dict.fromkeys(wanted) if a not in self.addresses()]
        self.executemany(
            "INSERT INTO suppressed (digest, address, at) VALUES (?, ?, ?) ON CONFLICT (digest, address) DO NOTHING",
            [(self._name, a, at.isoformat()) for a in new],
        )
        return len(new)

    def remove(self, addresses: Iterable[str]) -> int:
        """Take ``addresses`` off the suppression list; returns how many were on it."""
        gone = [a for a in dict.fromkeys(normal_address(a) for a in addresses) if a in self.addresses()]
        self.executemany("DELETE FROM suppressed WHERE digest = ? AND address = ?", [(self._name, a) for a in gone])
        return len(gone)

    def addresses(self) -> frozenset[str]:
        """This digest's suppressed addresses, normalized (see :func:`normal_address`)."""
        if "suppressed" not in self.tables():
            return frozenset()
        mine, scope = self._mine()
        return frozenset(r[0] for r in self.query(f"SELECT address FROM suppressed WHERE {mine}", scope))
