"""Passwords out of everything that shows a PostgreSQL URL: errors, logs, the run report, ``digest status``.

A URL carries a password in two places: the userinfo (``postgresql://user:secret@host/db``) and the
query (``?password=secret``). :func:`redact` replaces both in the URL and, because a driver's own
error message may quote part of the URL, every other occurrence of either password in the text.
"""

from __future__ import annotations

from urllib.parse import unquote

__all__ = ["MASK", "redact"]

MASK = "***"


def redact(text: str, url: str) -> str:
    """``text`` with ``url`` shown without its passwords and those passwords masked wherever else they appear.

    ``redact(url, url)`` is the URL fit to print.
    """
    secrets = sorted(_passwords(url), key=len, reverse=True)
    if not secrets:
        return text
    pieces = text.split(url)
    for secret in secrets:
        pieces = [piece.replace(secret, MASK) for piece in pieces]
    return _masked_url(url).join(pieces)


def _split(url: str) -> tuple[str, str, str, str]:
    """``scheme://``, the userinfo with its ``@`` (empty without one), the host and path, the query.

    Split as libpq splits it: the userinfo ends at the first ``@`` before the first ``/``, so what
    is masked is exactly what the server would be sent as the password.
    """
    scheme, sep, rest = url.partition("://")
    head, query_sep, query = rest.partition("?")
    userinfo, at, _ = head.partition("/")[0].partition("@")
    credentials = userinfo + at if at else ""
    return scheme + sep, credentials, head[len(credentials) :], query_sep + query


def _query(query: str) -> list[tuple[str, str, bool]]:
    """Each ``key=value`` of the query, and whether it is the password."""
    parts = query.removeprefix("?").split("&") if query else []
    return [(part, part.partition("=")[2], unquote(part.partition("=")[0]).lower() == "password") for part in parts]


def _passwords(url: str) -> set[str]:
    _, credentials, _, query = _split(url)
    raw = [credentials.removesuffix("@").partition(":")[2]]
    raw.extend(value for _, value, is_password in _query(query) if is_password)
    # The driver reports a percent-decoded value; the config holds the encoded one.
    return {form for value in raw for form in (value, unquote(value)) if form}


def _masked_url(url: str) -> str:
    scheme, credentials, host, query = _split(url)
    user, _, password = credentials.removesuffix("@").partition(":")
    if password:
        credentials = f"{user}:{MASK}@"
    parts = [part.partition("=")[0] + "=" + MASK if is_password else part for part, _, is_password in _query(query)]
    return scheme + credentials + host + ("?" + "&".join(parts) if query else "")
