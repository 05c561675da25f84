"""When two links from one source lead to the same article: redirect wrappers and query variants.

A publication often hands out one article under several links: in two of its own feeds, once with a
campaign query (``?CMP=share_btn_tw``), once through a redirect wrapper that carries the real link in
a query parameter (``news.google.com/news/url?url=…``, ``www.google.com/url?q=…``,
``l.facebook.com/l.php?u=…``) or hides it behind a short link (``t.co``, ``feedproxy.google.com``).
The dedupe stage asks two questions of such links, answered here from the URL alone (nothing is
fetched):

- :func:`unwrap` — the link a wrapper carries in its query (or in its path, for AMP caches);
- :func:`article_key` — what names the article: host and path of the unwrapped link, its query
  ignored unless the path alone cannot name an article (``/item?id=…``, ``/?p=…``, ``/watch?v=…``);
  ``""`` for a short link whose target only a request would tell.

Our own table rather than a library: ural, the library that infers such redirections offline, is
GPL-3.0 (this project is MIT) and reads neither ``href.li/?…``, AMP cache paths nor FeedBurner's
``/~r/`` links; courlan and url-normalize clean URLs but unwrap no redirect.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from .textutil import canonical_url

__all__ = ["article_key", "is_opaque", "unwrap"]

# Query parameters in which redirect wrappers carry their target; taken only when the value is itself
# an absolute http(s) URL, so an ordinary ``q=`` search term is never read as a link.
_TARGET_PARAMETERS = frozenset(
    ("url", "u", "q", "target", "dest", "destination", "redirect", "redirect_url", "to", "link", "out", "uddg", "z")
)
# Short links and feed proxies whose target is not in the URL at all.
_OPAQUE_HOSTS = frozenset(
    (
        "t.co",
        "bit.ly",
        "buff.ly",
        "dlvr.it",
        "ow.ly",
        "trib.al",
        "lnkd.in",
        "tinyurl.com",
        "ift.tt",
        "wp.me",
        "fb.me",
        "flip.it",
        "feedproxy.google.com",
        "apple.news",
    )
)
# Feed proxies that keep the real host but hide the article: FeedBurner's /~r/ links, Google News' articles.
_OPAQUE_PATHS = (
    ("feeds.feedburner.com", "/~r/"),
    ("news.google.com", "/rss/articles/"),
    ("news.google.com", "/articles/"),
)
# Google's AMP cache: https://www.google.com/amp/s/example.com/path is https://example.com/path.
_AMP = re.compile(r"^/amp/(s/)?(.+)$")
# A last path segment that names an article by itself: a slug or a number (a hyphen, an underscore or a
# digit, or long), not a section that takes the article from the query (/item?id=…, /watch?v=…). A
# script's name counts only by a digit, a hyphen or its length: news_summ.jsp?id=… is not a slug.
_SPECIFIC_SEGMENT = re.compile(r"[\d_-]|^.{21,}$")
_SPECIFIC_SCRIPT = re.compile(r"[\d-]|^.{21,}$")
_SCRIPT = re.compile(r"\.(php\d?|aspx?|cgi|jsp|pl|dll|html?)$", re.I)
# Campaign and share parameters (beyond the tracking ones canonical_url drops) that never name an
# article; dropped when the query has to be kept.
_CAMPAIGN = frozenset(
    (
        "cmp",
        "cmpid",
        "ocid",
        "smid",
        "s_cid",
        "ito",
        "xtor",
        "ref",
        "src",
        "share",
        "ns_campaign",
        "ns_mchannel",
        "ns_source",
        "ns_linkname",
        "at_medium",
        "at_campaign",
        "__twitter_impression",
    )
)
_MAX_UNWRAP = 4


def _host(netloc: str) -> str:
    host = netloc.rpartition("@")[2].partition(":")[0].lower()
    return host.removeprefix("www.")


def _target(url: str) -> str:
    """The link ``url`` wraps, or ``""`` if it wraps none."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    host = _host(parts.netloc)
    if host.startswith("google.") or host.endswith(".google.com") or host == "google.com":
        amp = _AMP.match(parts.path)
        if amp:
            query = f"?{parts.query}" if parts.query else ""
            return ("https://" if amp.group(1) else "http://") + amp.group(2) + query
    whole = unquote(parts.query)
    if whole.lower().startswith(("http://", "https://")):  # href.li/?https://…
        return whole
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name.lower() in _TARGET_PARAMETERS and value.lower().startswith(("http://", "https://")):
            return value
    return ""


def unwrap(url: str) -> str:
    """``url`` with redirect wrappers that carry their target in the URL peeled off, canonical."""
    for _ in range(_MAX_UNWRAP):
        target = _target(url)
        if not target:
            break
        url = target
    return canonical_url(url)


def is_opaque(url: str) -> bool:
    """Whether ``url`` is a short link or feed proxy whose target only a request would tell."""
    try:
        parts = urlsplit(unwrap(url))
    except ValueError:
        return False
    host = _host(parts.netloc)
    return host in _OPAQUE_HOSTS or any(host == h and parts.path.startswith(p) for h, p in _OPAQUE_PATHS)


def article_key(url: str) -> str:
    """Host and path naming the article ``url`` links to, the query kept only where the path cannot.

    ``""`` when there is nothing to compare: no http(s) link, or an opaque short link.
    """
    unwrapped = unwrap(url)
    try:
        parts = urlsplit(unwrapped)
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.netloc or is_opaque(unwrapped):
        return ""
    path = parts.path.rstrip("/")
    last = path.rpartition("/")[2]
    script = _SCRIPT.search(last)
    stem, pattern = (last[: script.start()], _SPECIFIC_SCRIPT) if script else (last, _SPECIFIC_SEGMENT)
    specific = bool(pattern.search(stem))
    key = f"{_host(parts.netloc)}{path}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in _CAMPAIGN]
    return key if specific or not query else f"{key}?{urlencode(sorted(query))}"
