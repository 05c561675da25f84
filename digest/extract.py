"""Stage 2: normalize article content: sanitized HTML for display, plain text for analysis.

All article-derived HTML passes through one sanitizer here (nh3, an allow-list), so no later
stage or template ever sees markup a feed author wrote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType

import nh3

from .models import Article
from .textutil import html_to_text, safe_url

__all__ = ["ALLOWED_ATTRIBUTES", "ALLOWED_TAGS", "extract", "sanitize_html"]

# The allow-list, public so tests can hold other renderings (Markdown turned into HTML) to it.
ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "cite",
        "code",
        "dd",
        "del",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "li",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "small",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
    }
)
ALLOWED_ATTRIBUTES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "a": frozenset({"href", "title"}),
        "img": frozenset({"src", "alt", "title", "width", "height"}),
        "abbr": frozenset({"title"}),
    }
)


def _filter_url(tag: str, attribute: str, value: str) -> str | None:
    if attribute in ("href", "src"):
        return safe_url(value) or None
    return value


# nh3 serializes every attribute quoted and escapes ">" inside values, so a tag ends at its first ">".
_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\salt=)")


def sanitize_html(markup: str) -> str:
    """``markup`` reduced to a safe allow-list of tags, attributes and URL schemes.

    An image without alt text gets an empty one, so screen readers skip it instead of reading its URL.
    """
    if not markup:
        return ""
    clean = nh3.clean(
        markup,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_filter_url,
    ).strip()
    return _IMG_WITHOUT_ALT.sub('<img alt=""', clean)


def extract(articles: Iterable[Article]) -> tuple[Article, ...]:
    """Every article with sanitized HTML, plain text filled in, and a safe URL."""
    out = []
    for article in articles:
        text = article.text or html_to_text(article.summary_html)
        out.append(
            replace(article, summary_html=sanitize_html(article.summary_html), text=text, url=safe_url(article.url))
        )
    return tuple(out)
