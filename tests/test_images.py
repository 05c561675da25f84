"""Images in article HTML: tracking pixels dropped from every rendering, remote images from the email on request."""

from __future__ import annotations

from dataclasses import replace

import html5lib
import pytest

from digest.config import parse_config
from digest.errors import ConfigError
from digest.extract import sanitize_html
from digest.models import Digest
from digest.render import Rendering, environment, render

from .digests import article, make_digest

PHOTO = "https://img.example/harbor.jpg"
ARTICLE_HTML = (
    "<p>The new pier opened on Monday.</p>"
    '<img src="https://t.example/open.gif" width="1" height="1" alt="">'
    '<img src="https://t.example/beacon.png" width="2">'
    '<img src="https://t.example/css.gif" style="width: 1px; height: 1px">'
    f'<figure><img src="{PHOTO}" alt="The pier at dawn" width="640" height="427"></figure>'
)


def _digest() -> Digest:
    digest = make_digest(1)
    story = digest.stories[0]
    # Without summary sentences a story shows its lead's article HTML.
    lead = article("pier", summary_html=ARTICLE_HTML)
    shown = replace(story, lead=lead, articles=(lead, *story.others), summary=())
    return replace(digest, sections=(replace(digest.sections[0], stories=(shown,)),))


def _render(*, remote_images: bool = True) -> Rendering:
    digest = _digest()
    return render(digest, env=environment(), now=digest.end, remote_images=remote_images)


def _images(markup: str) -> list[dict[str, str]]:
    tree = html5lib.parse(markup, namespaceHTMLElements=False)
    return [dict(element.attrib) for element in tree.iter("img")]


def test_tracking_pixels_are_dropped_from_web_and_email_html() -> None:
    rendering = _render()
    for markup in (rendering.html, rendering.email_html, rendering.body_html):
        images = _images(markup)
        assert [image["src"] for image in images] == [PHOTO]
        assert images[0]["alt"] == "The pier at dawn"
        assert "style" not in images[0]  # read to find pixels, never passed on


def test_without_remote_images_the_email_has_none_and_the_web_page_keeps_them() -> None:
    rendering = _render(remote_images=False)
    assert _images(rendering.email_html) == []
    tree = html5lib.parse(rendering.email_html, namespaceHTMLElements=False)
    styles = [el.attrib.get("style", "") for el in tree.iter()] + ["".join(el.itertext()) for el in tree.iter("style")]
    assert not [style for style in styles if "url(" in style]
    assert "The new pier opened on Monday." in rendering.email_html
    assert [image["src"] for image in _images(rendering.html)] == [PHOTO]
    assert [image["src"] for image in _images(rendering.body_html)] == [PHOTO]


@pytest.mark.parametrize(
    "image",
    [
        '<img src="https://t.example/p.gif" width="1" height="1">',
        '<img src="https://t.example/p.gif" height="0">',
        '<img src="https://t.example/p.gif" width="2px">',
        '<img src="https://t.example/p.gif" width=" 1.5 ">',
        '<img src="https://t.example/p.gif" style="width:1px">',
        '<img src="https://t.example/p.gif" style="display: block; height: 2px !important">',
        '<img src="https://t.example/p.gif" width="600" style="height:1px">',
    ],
)
def test_images_two_pixels_or_less_in_either_direction_are_pixels(image: str) -> None:
    assert sanitize_html(f"<p>a</p>{image}") == "<p>a</p>"


@pytest.mark.parametrize(
    ("image", "kept"),
    [
        ('<img src="https://e.example/a.png" width="3" height="3">', '<img alt="" src="https://e.example/a.png" '),
        ('<img src="https://e.example/a.png" width="50%">', '<img alt="" src="https://e.example/a.png" width="50%">'),
        ('<img src="https://e.example/a.png" style="width: 20em">', '<img alt="" src="https://e.example/a.png">'),
        ('<img src="https://e.example/a.png" alt="x">', '<img src="https://e.example/a.png" alt="x">'),
    ],
)
def test_larger_or_unsized_images_are_kept(image: str, kept: str) -> None:
    clean = sanitize_html(image)
    assert clean.startswith(kept)
    assert sanitize_html(clean) == clean


def test_remote_images_off_drops_web_images_only() -> None:
    markup = '<p>a</p><img src="https://e.example/a.png" alt="x"><img src="HTTP://e.example/b.png"><img alt="y">'
    assert sanitize_html(markup, remote_images=False) == '<p>a</p><img alt="y">'


def test_remote_images_is_an_email_setting_that_must_be_a_boolean() -> None:
    assert parse_config({}).email.remote_images is True
    assert parse_config({"email": {"remote_images": False}}).email.remote_images is False
    with pytest.raises(ConfigError) as caught:
        parse_config({"email": {"remote_images": "no"}})
    assert caught.value.key == "email.remote_images"
