"""HTML to text on a parsed tree: feed fragments keep every word their author wrote; whole pages lose their chrome."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.extract import extract
from digest.models import Article
from digest.textutil import html_to_text, main_text

NOW = datetime(2026, 11, 23, tzinfo=UTC)


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        # HTML closes a paragraph before an <aside> inside it: the sentence is joined again, the aside follows it.
        ("<p>Body <aside>pull quote</aside> more</p>", "Body more\npull quote"),
        ("Body <figure><figcaption>A map</figcaption></figure> <em>more</em>", "Body more\nA map"),
        # Between paragraphs an aside interrupts nothing: it stays where it is.
        ("<p>One.</p><aside>pull quote</aside><p>Two.</p>", "One.\npull quote\nTwo."),
        # An unclosed <form> holds what follows; it is text like any other in a feed item.
        ("<p>One</p><form><p>Two<p>Three", "One\nTwo\nThree"),
        ("<p>a</p><nav>menu</nav><footer>Photo: Jane Doe</footer><p>b</p>", "a\nmenu\nPhoto: Jane Doe\nb"),
        # Line breaks of the source inside a paragraph are spaces, as a browser shows them.
        ("<p>Line one\ncontinues here</p>\n\n<p>Next</p>", "Line one continues here\nNext"),
        ("<p>a<br>b</p><p>c</p>", "a\nb\nc"),
        ("<pre>line 1\n  line 2</pre>", "line 1\nline 2"),
        ("<ul><li>first</li><li>second</li></ul>", "first\nsecond"),
        ("<table><tr><td>a</td><td>b</td></tr></table>", "a\nb"),
        ("<b>bold</b> and <i>it</i>alic <a href='x'>link</a>", "bold and italic link"),
        ("<p>unclosed <b>bold <i>both</p><p>next", "unclosed bold both\nnext"),
        ("Tom &amp; Jerry &lt;3 caf&eacute; &#x1F600;", "Tom & Jerry <3 café 😀"),
        ("a < b and c > d", "a < b and c > d"),
        ("plain\n\ntext  with   spaces", "plain\ntext with spaces"),
        ("", ""),
    ],
)
def test_fragment_text(markup: str, expected: str) -> None:
    assert html_to_text(markup) == expected


@pytest.mark.parametrize(
    "markup",
    [
        "<div>x<script>alert('hidden')</script></div>",
        "<style>p { content: 'hidden' }</style><p>x</p>",
        "<p>x</p><!-- hidden -->",
        "<p>x</p><noscript>hidden</noscript>",
        "<p>x</p><template><p>hidden</p></template>",
        "<p>x</p><svg><text>hidden</text></svg>",
        "<p>x</p><iframe>hidden</iframe>",
        "<title>hidden</title><p>x</p>",
        "<![CDATA[hidden]]><p>x</p>",
        "<p>x\x00</p>",
    ],
)
def test_invisible_content_gives_no_text(markup: str) -> None:
    assert html_to_text(markup) == "x"


def test_deeply_nested_markup_keeps_its_text() -> None:
    deep = "<div>" * 20_000 + "deep" + "</div>" * 20_000
    assert html_to_text(deep) == "deep"
    unclosed = "<p>" + "<b><i>" * 10_000 + "unclosed"
    assert html_to_text(unclosed) == "unclosed"


def test_feed_items_keep_their_pull_quotes_and_paragraphs() -> None:
    item = Article(
        id="1",
        title="t",
        url="https://example.org/1",
        source="s",
        published=NOW,
        summary_html="<p>Body <aside>pull quote</aside> more</p><p>Second paragraph.</p>",
    )
    (out,) = extract([item])
    assert out.text == "Body more\npull quote\nSecond paragraph."


def test_a_related_link_box_inside_a_sentence_leaves_the_sentence_whole() -> None:
    # As news sites embed a "related" box: mid-paragraph, with inline markup on both sides of it.
    markup = (
        '<p>The appeal court upheld the <em>harbour levy</em> on Thursday, <aside class="element-rich-link">'
        '<p><span>Related: </span><a href="https://example.org/levy">What the levy pays for</a></p></aside> '
        "by nine votes to two.</p><p>The port authority said it would not appeal.</p>"
    )
    assert html_to_text(markup).splitlines() == [
        "The appeal court upheld the harbour levy on Thursday, by nine votes to two.",
        "Related: What the levy pays for",
        "The port authority said it would not appeal.",
    ]


def test_whole_pages_lose_menus_sidebars_footers_and_forms() -> None:
    story = "<p>" + "The council approved the tram line on Tuesday. " * 8 + "<aside>Pull quote.</aside></p>"
    page = (
        "<html><head><title>Site</title></head><body><nav>Home | News</nav>"
        f"<article><h1>Tram line approved</h1>{story}</article>"
        "<aside>Most read</aside><footer>© Site</footer><form><p>Subscribe"
    )
    text = main_text(page, library=False)
    assert text.startswith("Tram line approved\nThe council approved")
    for chrome in ("Home", "Most read", "©", "Subscribe", "Pull quote"):
        assert chrome not in text
    # Without an <article> or <main>, the whole body is read, still without the chrome.
    bare = page.replace("<article>", "<div>").replace("</article>", "</div>")
    assert main_text(bare, library=False) == text


@given(st.lists(st.sampled_from(["<p>", "</p>", "<aside>", "</aside>", "<form>", "<nav>", "<b>", "word", " ", "<br>"])))
def test_every_word_of_a_fragment_survives(pieces: list[str]) -> None:
    assert "".join(html_to_text("".join(pieces)).split()) == "word" * pieces.count("word")
