"""URLs as their authors wrote them: the link a reader clicks, and the conservative key an article is known by.

A link is the URL the feed gave, resolved against the feed when relative, with only tracking
parameters taken out of its query. The query is edited as the raw ``&``/``;``-separated text it is:
decoding and re-encoding it (``parse_qsl``/``urlencode``) breaks links such as
``index.php?/archives/123-title.html`` or ``?id=1;page=2``, which servers read byte for byte.

The identity key (:func:`identity_key`) is that link with the few changes that can never make two
different pages one: scheme and host lower-cased (never the ``user:password@`` part), a default port
dropped, an empty path written ``/``, and a fragment dropped unless it routes a single-page site
(``#!/post/42``, ``#/post/42``), where it is the only thing telling the pages apart.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

__all__ = ["identity_key", "is_absolute", "legacy_key", "link_url", "strip_tracking"]

# Parameters that identify a campaign or a click, never the page: dropping them lets the same link
# shared through a newsletter and through a feed get the same key, and keeps readers from being tracked.
_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|ysclid|twclid|ttclid|li_fat_id|igshid|"
    r"mc_cid|mc_eid|mkt_tok|_hsenc|_hsmi|__hssc|__hstc|__hsfp|hsctatracking|_ga|_gl|oly_anon_id|oly_enc_id|"
    r"vero_id|vero_conv|ref_src|s_cid|wickedid|rb_clickid)$",
    re.I,
)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_SEPARATORS = re.compile(r"([&;])")
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def is_absolute(url: str) -> bool:
    """Whether ``url`` starts with a scheme; ``/post?from=http://x`` is relative although it holds ``://``."""
    return bool(_SCHEME.match(url))


def link_url(url: str, base: str = "") -> str:
    """The reader's link: ``url`` resolved against ``base`` when relative, tracking parameters removed."""
    url = url.strip()
    if not url:
        return ""
    if base and not is_absolute(url):
        try:
            url = urljoin(base, url)
        except ValueError:  # a base such as "http://[" that urllib cannot split
            return url
    return strip_tracking(url)


def strip_tracking(url: str) -> str:
    """``url`` without tracking parameters; every other byte as it was, separators included."""
    head, hash_, fragment = url.partition("#")
    path, mark, query = head.partition("?")
    if not mark or not query:
        return url
    pieces = _SEPARATORS.split(query)  # [param, sep, param, sep, ...]
    kept: list[str] = []
    for index in range(0, len(pieces), 2):
        param = pieces[index]
        if _TRACKING.match(unquote(param.partition("=")[0])):
            continue
        if kept:
            kept.append(pieces[index - 1] if index else "&")
        kept.append(param)
    if len(kept) == len(pieces):
        return url
    query = "".join(kept)
    return path + ("?" + query if query else "") + hash_ + fragment


def identity_key(url: str) -> str:
    """The conservative key of a link: equal keys are surely the same page (see the module docstring)."""
    url = strip_tracking(url.strip())
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)$", url, re.S)
    if not match or match.group(1).lower() not in _DEFAULT_PORTS:
        return url
    scheme, authority, rest = match.group(1).lower(), match.group(2), match.group(3)
    userinfo, at, host = authority.rpartition("@")
    host = host.lower()
    if host.endswith(_DEFAULT_PORTS[scheme]):
        host = host[: -len(_DEFAULT_PORTS[scheme])]
    head, hash_, fragment = rest.partition("#")
    if not head.startswith("/"):
        head = "/" + head
    keep_fragment = hash_ and fragment.startswith(("!", "/"))
    key = f"{scheme}://{userinfo}{at}{host}{head}" + (f"#{fragment}" if keep_fragment else "")
    # White space left at the end by the dropped fragment ("/a/0\f#top") is part of the path, which a
    # browser sends percent-encoded; written so, the key is its own key and still not "/a/0"'s.
    body = key.rstrip()
    return body + quote(key[len(body) :], safe="")


_OLD_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|_hsenc|_hsmi|ref_src)$", re.I)


def legacy_key(url: str) -> str:
    """The key earlier versions gave ``url`` (query decoded and re-encoded, fragment dropped).

    Kept only so a store written by them still knows which articles it has seen; never a link.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https"):
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _OLD_TRACKING.match(k)]
    netloc = parts.netloc.lower()
    if netloc.endswith(":80") and parts.scheme.lower() == "http":
        netloc = netloc[:-3]
    elif netloc.endswith(":443") and parts.scheme.lower() == "https":
        netloc = netloc[:-4]
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", urlencode(query), ""))
