"""E-mail addresses from the config and the command line: parsed, checked, and given to SMTP as shown.

A value is one mailbox: a plain address (``ann@example.org``) or a display name and an address
(``Ann <ann@example.org>``). The standard library's header parser (:mod:`email.headerregistry`)
splits the two and reports what is malformed (an unclosed ``<``, two addresses, a group); the
address itself is checked by `email-validator <https://pypi.org/project/email-validator/>`_, which
knows the syntax of RFC 5321/5322 addresses and internationalized domains (IDNA 2008), without DNS.
``parseaddr`` alone would read ``reader at ux.example`` as the address ``reader`` and
``reader@@ux.example`` as nothing: the value shown would not be the one mailed.

An internationalized domain travels in its ASCII form (``xn--…``) in the envelope and the headers,
which every server accepts; a non-ASCII local part would need SMTPUTF8 end to end and is refused.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from email import errors, policy
from email.headerregistry import Address
from email.utils import parseaddr

from email_validator import EmailNotValidError, validate_email

from .errors import ConfigError

__all__ = ["ADDRESS_HINT", "Mailbox", "check_mailbox", "envelope", "header", "parse_mailbox"]

ADDRESS_HINT = 'write one address, e.g. "ann@example.org" or "Ann <ann@example.org>"'


@dataclass(frozen=True, slots=True)
class Mailbox:
    """One checked mailbox: its display name (maybe empty) and its address as SMTP gets it."""

    display_name: str
    address: str  # the addr-spec, its domain in ASCII (IDNA): MAIL FROM / RCPT TO and the headers use this

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]

    def header(self) -> Address:
        """The mailbox for a ``From`` or ``To`` header (the email package encodes a non-ASCII name)."""
        return Address(display_name=self.display_name, addr_spec=self.address)


@functools.lru_cache(maxsize=1024)
def parse_mailbox(text: str, *, display_name: bool = True) -> Mailbox:
    """``text`` as one :class:`Mailbox`; raises ``ValueError`` saying what is wrong with it.

    With ``display_name=False`` only a plain address is taken (a test-send or mailto address).
    """
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValueError("it contains a line break or control character")
    value = text.strip()
    if not value:
        raise ValueError("it is empty")
    parsed = policy.default.header_factory("To", value)
    groups = parsed.groups
    mailboxes = [a for g in groups for a in g.addresses]
    if len(mailboxes) > 1 or any(g.display_name is not None for g in groups):
        raise ValueError("one address per entry (a list is written as several strings)")
    defects = [str(d) for d in parsed.defects if isinstance(d, errors.InvalidHeaderDefect)]
    addr_spec = mailboxes[0].addr_spec if mailboxes else value
    try:
        checked = _validate(addr_spec)
    except ValueError:
        # What the address check says of the whole value reads better than the parser's defects.
        _validate(value if defects else addr_spec)
        raise
    if defects:  # a well-formed address in a malformed whole: an unclosed "<", text after the ">"
        raise ValueError(defects[0])
    name = mailboxes[0].display_name
    if not display_name and value != addr_spec:
        raise ValueError("give the plain address, without a name or <>")
    return Mailbox(name, checked)


def _validate(addr_spec: str) -> str:
    """The address, its domain in ASCII; ``ValueError`` with email-validator's reason if it is not one."""
    try:
        checked = validate_email(addr_spec, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc).rstrip(".")) from None
    return str(checked.ascii_email or checked.normalized)


def check_mailbox(text: str, *, key: str, display_name: bool = True) -> Mailbox:
    """:func:`parse_mailbox`, its refusal a :class:`ConfigError` naming ``key`` and the value."""
    try:
        return parse_mailbox(text, display_name=display_name)
    except ValueError as exc:
        hint = ADDRESS_HINT if display_name else 'write the plain address, e.g. "ann@example.org"'
        raise ConfigError(f"not an e-mail address: {text!r}: {exc}", key=key, hint=hint) from None


def envelope(text: str) -> str:
    """The address SMTP is given for ``text`` (``MAIL FROM`` / ``RCPT TO``).

    A value the config did not check (the outbox-only default sender ``digest@localhost``) is
    taken as the standard library reads it.
    """
    try:
        return parse_mailbox(text).address
    except ValueError:
        return parseaddr(text)[1]


def header(text: str) -> Address | str:
    """``text`` for a ``From`` or ``To`` header: the checked mailbox, its domain in ASCII."""
    try:
        return parse_mailbox(text).header()
    except ValueError:
        return text
