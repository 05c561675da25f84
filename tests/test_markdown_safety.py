"""The Markdown and text renderings under hostile URLs and titles.

The Markdown a digest writes is read by whatever Markdown parser a reader uses, so it is checked
through two: Python-Markdown (footnotes, and every ``extra`` extension, attribute lists included) and
markdown-it-py (CommonMark, and its default preset). The HTML each produces is parsed and held to the
article HTML allow-list, plus the few elements the digest's own structure needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

import html5lib
import markdown
import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from digest.escape import markdown_text, markdown_url, text_line, text_url
from digest.extract import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from digest.models import Digest, Section, Story, SummarySentence
from digest.render import Rendering, environment, render
from digest.textutil import safe_url

from .digests import WEEK0, article

HOSTILE_URLS = (
    "https://e.example/a>[x](javascript:alert(1))",
    'https://e.example/"onmouseover=alert(1)',
    "https://e.example/a)\n[x]: javascript:alert(1)",
    "https://e.example/a\n\n[x]: javascript:alert(1)\n",
    "https://e.example/<script>alert(1)</script>",
    "https://e.example/a b<img src=x onerror=alert(1)>",
    "https://e.example/`code`\\x",
    "https://e.example/a'b\"c(d)[e]{f}|g^h",
    "https://e.example/&amp;lt;b&amp;#106;",
    "https://e.example/a\u2028Read more: https://evil.example/",
    "https://e.example/\u202egnp.exe",
    "https://e.example/a\x85b\x0bc\x0cd",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "/relative",
)
GOOD_URLS = (
    "https://e.example/plain",
    "https://e.example/a_b*c?x=1&y=2#frag",
    "https://e.example/wiki/Foo_(bar)",
    "https://e.example/ü/ä?q=ß",
    "http://e.example:8080/p;q?r=%2F",
    "mailto:editor@e.example",
)
HOSTILE_TITLES = (
    "[click](javascript:alert(1))",
    "![x](https://t.example/p.gif)",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\\<b onclick=alert(1)>bold</b>",
    "a {: onclick=alert(1) }",
    "{: onclick=alert(1) }",
    "*x* _y_ `z` &lt;i&gt; | # h",
    "[x]: javascript:alert(1)",
    "Title\n[x]: javascript:alert(1)",
    "Title\n\n<script>alert(1)</script>",
    "Title\r\nRead more: https://evil.example/",
    "Title\u2028Unsubscribe: https://evil.example/u",
)
# What Markdown makes of the digest's own structure (the title heading, footnotes) besides article tags,
# and what html5lib adds around a fragment.
STRUCTURE_TAGS = frozenset({"html", "head", "body", "h1", "div", "section"})
STRUCTURE_ATTRIBUTES = frozenset({"id", "class", "href", "title", "rel", "role"})


def _hostile_story(n: int, url: str, title: str) -> Story:
    lead = article(f"s{n}a", url=url, title=title, source=title)
    cited = article(f"s{n}b", url=url, title=title, source=f"{title} ({n})")
    other = article(f"s{n}c", url=url, title=title, source=title)
    summary = (SummarySentence(title, lead.id), SummarySentence(f"{title} again", cited.id))
    return Story(id=f"s{n}", label=title, lead=lead, articles=(lead, cited, other), summary=summary)


def _digest(urls: tuple[str, ...], titles: tuple[str, ...]) -> Digest:
    stories = tuple(_hostile_story(n, url, titles[n % len(titles)]) for n, url in enumerate(urls))
    section = Section(name=titles[0], slug="s", stories=stories)
    return Digest(id="2026-W02", title=titles[-1], start=WEEK0, end=WEEK0, sections=(section,))


def _render(digest: Digest) -> Rendering:
    return render(digest, env=environment(), now=WEEK0, site_url="https://e.example/issue/")


def _python_markdown(extensions: list[str]) -> Callable[[str], str]:
    return lambda text: markdown.markdown(text, extensions=extensions)


PARSERS = {
    "python-markdown footnotes": _python_markdown(["footnotes"]),
    "python-markdown extra": _python_markdown(["extra"]),
    "markdown-it commonmark": MarkdownIt("commonmark").render,
    "markdown-it default": MarkdownIt("default").render,
}


@dataclass(frozen=True, slots=True)
class Link:
    href: str
    text: str


def _links(markup: str) -> list[Link]:
    """Every external link of ``markup``, after holding each element and attribute to the allow-list."""
    links = []
    for element in html5lib.parse(markup, namespaceHTMLElements=False).iter():
        assert element.tag in ALLOWED_TAGS | STRUCTURE_TAGS and element.tag != "img", element.tag
        allowed = ALLOWED_ATTRIBUTES.get(element.tag, frozenset()) | STRUCTURE_ATTRIBUTES
        assert set(element.attrib) <= allowed, (element.tag, element.attrib)
        href = element.attrib.get("href")
        if href is None or href.startswith("#"):  # a footnote and its way back
            continue
        assert href.lower().startswith(("https://", "http://", "mailto:")), href
        links.append(Link(href, "".join(element.itertext())))
    return links


def _same_url(href: str, url: str) -> bool:
    """Whether a reader clicking ``href`` reaches ``url``: the same once percent-encoding is undone."""
    return unquote(href) == unquote(url)


@pytest.mark.parametrize("parser", PARSERS)
def test_hostile_urls_and_titles_stay_inside_their_links(parser: str) -> None:
    rendering = _render(_digest(HOSTILE_URLS, HOSTILE_TITLES))
    links = _links(PARSERS[parser](rendering.markdown))
    safe = [safe_url(url) for url in HOSTILE_URLS if safe_url(url)]
    assert safe, "no hostile URL is kept: the checks below would prove nothing"
    # Per story: the headline, the uncited other under "Covered by", and the two cited articles' footnotes.
    assert len(links) == 4 * len(safe)
    assert all(any(_same_url(link.href, url) for url in safe) for link in links), links
    headlines = [link.text for link in links if not link.text.startswith(("http", "mailto"))]
    for text in headlines:
        assert " ".join(text.split()) in {" ".join(t.split()) for t in HOSTILE_TITLES}, text


@pytest.mark.parametrize("parser", PARSERS)
def test_good_urls_are_the_links_a_reader_clicks(parser: str) -> None:
    rendering = _render(_digest(GOOD_URLS, ("A headline",)))
    links = _links(PARSERS[parser](rendering.markdown))
    for url in GOOD_URLS:
        assert safe_url(url) == url
        clicked = [link.href for link in links if _same_url(link.href, url)]
        assert len(clicked) == 4, (url, [link.href for link in links])


def test_markdown_links_percent_encode_only_what_markdown_reads() -> None:
    markdown_text = _render(_digest(GOOD_URLS[:3], ("A headline",))).markdown
    assert "(<https://e.example/a_b*c?x=1&y=2#frag>)" in markdown_text
    assert "(<https://e.example/wiki/Foo_%28bar%29>)" in markdown_text
    broken = _render(_digest(HOSTILE_URLS[:1], ("A headline",))).markdown
    assert "(<https://e.example/a%3E%5Bx%5D%28javascript:alert%281%29%29>)" in broken


def test_text_has_no_line_a_feed_wrote() -> None:
    digest = _digest(HOSTILE_URLS + GOOD_URLS, HOSTILE_TITLES)
    text = _render(digest).text
    lines = text.split("\n")
    assert text.splitlines() == lines[:-1]  # no separator but "\n" (U+2028, U+0085, \r, \v, \f…)
    assert not [line for line in lines if any(ch < " " or "\x7f" <= ch <= "\x9f" for ch in line)]
    safe = [safe_url(url) for url in HOSTILE_URLS + GOOD_URLS if safe_url(url)]
    read_more = [line.removeprefix("Read more: ") for line in lines if line.startswith("Read more:")]
    assert safe and len(read_more) == len(safe)
    assert all(" " not in url and _same_url(url, expected) for url, expected in zip(read_more, safe, strict=True))
    assert all(url.startswith(("https://", "http://", "mailto:")) for url in read_more)
    assert not [line for line in lines if line.startswith("Unsubscribe:")]  # the titles' fake one is not a line


def test_titles_keep_their_characters_in_text_and_markdown() -> None:
    story = _hostile_story(0, "https://e.example/x", "AT&T *wins* [big] <today>")
    digest = Digest(id="d", title="T", start=WEEK0, end=WEEK0, sections=(Section("S", "s", (story,)),))
    rendering = _render(digest)
    assert "AT&T *wins* [big] <today>" in rendering.text
    html = PARSERS["python-markdown footnotes"](rendering.markdown)
    texts = [link.text for link in _links(html)]
    assert "AT&T *wins* [big] <today>" in texts


@given(st.tuples(st.sampled_from(["https://e.example/", "mailto:", "javascript:", ""]), st.text()).map("".join))
def test_encoded_urls_and_lines_hold_nothing_that_ends_them(text: str) -> None:
    for encoded in (markdown_url(text), text_url(text)):
        assert encoded == "" or encoded.lower().startswith(("http:", "https:", "mailto:"))
        assert len(encoded.split()) <= 1 and not set(encoded) & set('<>"`\\')
    assert not set(markdown_url(text)) & set("()[]'")
    assert len(text_line(text).splitlines()) <= 1
    assert len(markdown_text(text).splitlines()) <= 1
    assert not set(markdown_text(text)) & set("<>|")
