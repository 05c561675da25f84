"""What the site needs to know of a rendered issue besides its HTML: its sections and headlines.

Read from the body as it is rendered (a theme's template sets the anchors, so only its HTML knows
them) and stored with the issue; the site parses again only issues stored without one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

__all__ = ["IssueOutline", "headline_summary", "outline"]


@dataclass(frozen=True, slots=True)
class IssueOutline:
    """What the site needs to know about an issue beyond its HTML: its sections and headlines."""

    sections: tuple[tuple[str, str], ...] = ()
    headlines: tuple[tuple[str, str], ...] = ()

    @property
    def description(self) -> str:
        return headline_summary([text for _, text in self.headlines])


class _OutlineParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[tuple[str, str]] = []
        self.headlines: list[tuple[str, str]] = []
        self._anchor = ""
        self._section = ""
        self._heading: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        ids = [v for k, v in attrs if k == "id" and v]
        if tag in ("section", "article") and ids:
            if tag == "section":
                self._section = ids[0]
            self._anchor = ids[0]
        elif tag in ("h2", "h3"):
            self._heading, self._text = tag, []

    def handle_endtag(self, tag: str) -> None:
        if tag != self._heading:
            return
        text = " ".join("".join(self._text).split()).rstrip("#").strip()
        if tag == "h2":
            self.sections.append((self._section, text))
        else:
            self.headlines.append((self._anchor, text))
        self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading:
            self._text.append(data)


def outline(body_html: str) -> IssueOutline:
    """Sections (anchor, name) and headlines (anchor, text) of an issue's rendered body.

    Read as the body is rendered (the theme's template sets the anchors, so only its HTML knows them)
    and stored with the issue; the site parses again only issues stored without one.
    """
    parser = _OutlineParser()
    parser.feed(body_html)
    parser.close()
    return IssueOutline(tuple(parser.sections), tuple(parser.headlines))


def headline_summary(headlines: Sequence[str], *, count: int = 3, limit: int = 200) -> str:
    """The first ``count`` headlines on one line, cut at a word to at most ``limit`` characters."""
    text = " · ".join(headlines[:count])
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
