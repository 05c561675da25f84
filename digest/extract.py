"""Stage 2: normalize article content: sanitized HTML for display, plain text for analysis.

All article-derived HTML passes through one sanitizer here (nh3, an allow-list), so no later
stage or template ever sees markup a feed author wrote. The same pass drops tracking pixels,
and on request every remote image, so each rendering that shows article HTML gets both.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType

import nh3

from .bounds import bound_markup
from .htmldepth import cut_depth
from .language import detect_languages
from .models import Article
from .textutil import html_to_text, safe_url

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "extract",
    "extract_and_detect",
    "is_tracking_pixel",
    "sanitize_html",
]

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
# ``style`` is let through on images only, cut to its sizes, so a pixel sized in CSS is recognised;
# it is removed again before the markup leaves :func:`sanitize_html`.
_READ_ATTRIBUTES = {tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()} | {
    "img": set(ALLOWED_ATTRIBUTES["img"] | {"style"})
}


def _filter_url(tag: str, attribute: str, value: str) -> str | None:
    if attribute in ("href", "src"):
        return safe_url(value) or None
    return value


# nh3 serializes every attribute as name="value" and escapes ">" and '"' inside values, so a tag ends
# at its first ">" and an attribute value at its next '"'.
_IMG = re.compile(r"<img\b[^>]*>")
_ATTRIBUTE = re.compile(r'\s([^\s="]+)="([^"]*)"')
_STYLE_SIZE = re.compile(r"(?:^|;)\s*(?:width|height)\s*:([^;]*)", re.I)
_PIXELS = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:px)?\s*(?:!\s*important\s*)?", re.I)
# An image this small in either direction shows nothing a reader could see: it is there to report
# that the message was opened. 2 and not 1 because some senders use 2x2 or 1x2 beacons.
_PIXEL_MAX = 2.0
_REMOTE = ("http://", "https://")


def is_tracking_pixel(attributes: Mapping[str, str]) -> bool:
    """Whether an image with these (unescaped) attributes is sized at most 2 px wide or high."""
    sizes = [attributes.get("width", ""), attributes.get("height", "")]
    sizes += _STYLE_SIZE.findall(attributes.get("style", ""))
    lengths = (_PIXELS.fullmatch(size) for size in sizes)
    return any(float(match.group(1)) <= _PIXEL_MAX for match in lengths if match)


def _rewrite_image(tag: str, *, remote_images: bool) -> str:
    """One sanitized ``<img>`` tag: dropped if it tracks (or is remote and unwanted), else without its style.

    An image without alt text gets an empty one, so screen readers skip it instead of reading its URL.
    """
    pairs = [(name, value) for name, value in _ATTRIBUTE.findall(tag) if name != "style"]
    attributes = {name: html.unescape(value) for name, value in _ATTRIBUTE.findall(tag)}
    if is_tracking_pixel(attributes):
        return ""
    if not remote_images and attributes.get("src", "").lower().startswith(_REMOTE):
        return ""
    if "alt" not in attributes:
        pairs.insert(0, ("alt", ""))
    return "<img" + "".join(f' {name}="{value}"' for name, value in pairs) + ">"


def sanitize_html(markup: str, *, remote_images: bool = True) -> str:
    """``markup`` reduced to a safe allow-list of tags, attributes and URL schemes, without tracking pixels.

    With ``remote_images`` false, every image loaded from the web is dropped too (the email's privacy
    setting). Sanitizing sanitized markup returns it unchanged.
    """
    if not markup:
        return ""
    clean = nh3.clean(
        bound_markup(markup),
        tags=set(ALLOWED_TAGS),
        attributes=_READ_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_filter_url,
        filter_style_properties={"width", "height"},
    ).strip()
    # Bounded here, before any rendering: the email's CSS inliner (Rust) overflows its stack on deep nesting.
    clean = cut_depth(clean)
    return _IMG.sub(lambda match: _rewrite_image(match.group(0), remote_images=remote_images), clean)


def extract(articles: Iterable[Article]) -> tuple[Article, ...]:
    """Every article with sanitized HTML, plain text filled in, and a safe URL."""
    out = []
    for article in articles:
        text = article.text or html_to_text(article.summary_html)
        out.append(
            replace(article, summary_html=sanitize_html(article.summary_html), text=text, url=safe_url(article.url))
        )
    return tuple(out)


def extract_and_detect(articles: Iterable[Article]) -> tuple[Article, ...]:
    """:func:`extract`, then each article's language (:func:`digest.language.detect_languages`).

    The stage in one module-level function, so that the source stage can run it in its worker
    processes on each feed's articles as they arrive.
    """
    return detect_languages(extract(articles))
