"""Stage 2: normalize article content: sanitized HTML for display, plain text for analysis.

All article-derived HTML passes through one sanitizer here (nh3, an allow-list), so no later
stage or template ever sees markup a feed author wrote.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import nh3

from .models import Article
from .textutil import html_to_text, safe_url

__all__ = ["extract", "sanitize_html"]

_TAGS = {
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
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}, "abbr": {"title"}}


def _filter_url(tag: str, attribute: str, value: str) -> str | None:
    if attribute in ("href", "src"):
        return safe_url(value) or None
    return value


def sanitize_html(markup: str) -> str:
    """``markup`` reduced to a safe allow-list of tags, attributes and URL schemes."""
    if not markup:
        return ""
    return nh3.clean(
        markup,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_filter_url,
    ).strip()


def extract(articles: Iterable[Article]) -> tuple[Article, ...]:
    """Every article with sanitized HTML, plain text filled in, and a safe URL."""
    out = []
    for article in articles:
        text = article.text or html_to_text(article.summary_html)
        out.append(
            replace(article, summary_html=sanitize_html(article.summary_html), text=text, url=safe_url(article.url))
        )
    return tuple(out)
