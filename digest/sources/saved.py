"""The readers of saved files, one per kind (``.txt``, ``.md``, ``.html``, ``.eml``): bytes in, a :class:`Saved` out.

What is common to them all (the article built from a :class:`Saved`, its date, its problems) is
:func:`~.folders.read_saved`'s; each reader here only finds the title, text and metadata in its format.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser

import markdown
from selectolax.lexbor import LexborHTMLParser

from ..bounds import bound_markdown, bound_markup
from ..clean import clean_text
from ..dates import http_date
from ..textutil import guess_title, html_to_text, main_text, normalize_space
from .frontmatter import MAX_NESTING, NotYaml, front_matter

__all__ = ["READERS", "Saved", "read_eml", "read_html", "read_markdown", "read_text"]

log = logging.getLogger(__name__)
_MULTIPART = re.compile(rb"multipart/", re.I)


@dataclass(frozen=True, slots=True)
class Saved:
    title: str
    text: str
    html: str
    meta: dict[str, str]
    # What was wrong with the file but did not stop it being read (front matter that is not YAML).
    warning: str = ""


def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")  # the usual encoding of old saved files that are not UTF-8
    return clean_text(text)


def read_text(raw: bytes) -> Saved:
    title, text = _title_and_text(normalize_space(_decode(raw)), {})
    return Saved(title, text, "", {})


def read_markdown(raw: bytes) -> Saved:
    text = _decode(raw)
    warning = ""
    try:
        meta, content = front_matter(text)
    except NotYaml as exc:
        # Hand-written front matter is often YAML only nearly ("title: Why: a story"): read it line by
        # line rather than lose the article, and say so.
        meta, content, warning = exc.meta, exc.content, str(exc)
    html = markdown.markdown(bound_markdown(content))
    title, body = _title_and_text(html_to_text(html), meta)
    return Saved(title, body, html, meta, warning)


def read_html(raw: bytes) -> Saved:
    page = bound_markup(_decode(raw))
    meta: dict[str, str] = {}
    # From the parsed tree: a pattern looking for </title> after each of 16,000 <title> took minutes.
    node = LexborHTMLParser(page.replace("\x00", "")).css_first("title")
    if node is not None:
        meta["title"] = normalize_space(node.text(deep=True)).replace("\n", " ")
    # The whole page is no summary: templates show the extracted text instead.
    title, text = _title_and_text(main_text(page), meta)
    return Saved(title, text, "", meta)


def read_eml(raw: bytes) -> Saved:
    # The parser recurses once per nested part: a message of thousands is refused before it is parsed.
    if len(_MULTIPART.findall(raw)) > MAX_NESTING:
        raise ValueError(f"more than {MAX_NESTING} multipart parts")
    message = BytesParser(policy=policy.default).parsebytes(raw)
    meta: dict[str, str] = {"author": _header(message, "from")}
    date = _header(message, "date")
    if date:
        when = http_date(date)
        meta["date"] = when.isoformat() if when else date
    body = message.get_body(preferencelist=("plain", "html"))
    content = clean_text(str(body.get_content())) if body is not None else ""
    is_html = body is not None and body.get_content_type() == "text/html"
    text = main_text(content) if is_html else normalize_space(content)
    return Saved(normalize_space(_header(message, "subject")), text, "", meta)


def _header(message: EmailMessage | Message, name: str) -> str:
    """One header as clean text; one that the parser cannot read (a From: of 50,000 comments) is none."""
    try:
        return clean_text(str(message[name] or ""))
    except RecursionError:
        log.warning("unreadable %s: header skipped", name)
        return ""


READERS: dict[str, Callable[[bytes], Saved]] = {
    ".txt": read_text,
    ".md": read_markdown,
    ".html": read_html,
    ".htm": read_html,
    ".eml": read_eml,
}


def _title_and_text(content: str, meta: dict[str, str]) -> tuple[str, str]:
    if meta.get("title"):
        title, body = guess_title(content)
        return meta["title"], body if title == meta["title"] else normalize_space(content)
    return guess_title(content)
