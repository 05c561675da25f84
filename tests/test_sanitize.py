"""Sanitizing: every URL scheme-checked as a browser would read it; article HTML through one allow-list."""

from __future__ import annotations

import json
from pathlib import Path

import html5lib
import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.extract import sanitize_html
from digest.textutil import safe_url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        " \x01javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "jav&#x09;ascript:alert(1)",
        "&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)",
        "&#x6A;avascript:alert(1)",
        "&#0000106avascript:alert(1)",
        "javascript&colon;alert(1)",
        "java&Tab;script:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "ｊａｖａｓｃｒｉｐｔ:alert(1)",
        "java\x00script:alert(1)",
        "/relative/path",
        "//evil.example/x",
        "?q=1",
        "",
    ],
)
def test_unsafe_or_relative_urls_are_dropped(url: str) -> None:
    assert safe_url(url) == ""


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a?b=1&c=2", "https://example.org/a?b=1&c=2"),
        ("  HTTP://Example.org/x\n", "HTTP://Example.org/x"),
        ("https://example.org/a&amp;b", "https://example.org/a&b"),
        ("https://example.org/a b", "https://example.org/a%20b"),
        ("mailto:editor@example.org", "mailto:editor@example.org"),
    ],
)
def test_safe_urls_are_kept(url: str, expected: str) -> None:
    assert safe_url(url) == expected


@given(st.text())
def test_safe_url_returns_nothing_or_an_allowed_scheme(text: str) -> None:
    result = safe_url(text)
    assert result == "" or result.lower().startswith(("http:", "https:", "mailto:"))
    assert not any(ch in result for ch in "\t\n\r\x00 ")


def test_harmless_markup_survives() -> None:
    markup = '<p>Hello <b>world</b>, see <a href="https://example.org/">this</a>.</p>'
    assert sanitize_html(markup) == (
        '<p>Hello <b>world</b>, see <a href="https://example.org/" rel="noopener noreferrer nofollow">this</a>.</p>'
    )


def test_images_keep_their_alt_text_or_get_an_empty_one() -> None:
    markup = '<img src="https://example.org/a.png" alt="A map"><img src="https://example.org/b.png" title="x>y">'
    assert sanitize_html(markup) == (
        '<img src="https://example.org/a.png" alt="A map"><img alt="" src="https://example.org/b.png" title="x&gt;y">'
    )


SAMPLE = Path(__file__).parent / "data" / "xss" / "vectors.jsonl"


def _read_vectors(*files: Path) -> list[str]:
    lines = [line for f in files for line in f.read_text(encoding="utf-8").split("\n") if line.strip()]
    return [json.loads(line)["payload"] for line in lines]


def _vectors(shared: Path) -> list[str]:
    files = sorted((shared / "bench" / "xss").rglob("vectors.jsonl"))
    if not files:
        pytest.skip("no XSS vectors under ../shared/bench/xss")
    return _read_vectors(*files)


def _assert_harmless(payload: str) -> None:
    clean = sanitize_html(payload)
    tree = html5lib.parse(clean, namespaceHTMLElements=False)
    for element in tree.iter():
        assert element.tag not in (
            "script",
            "style",
            "iframe",
            "object",
            "embed",
            "svg",
            "math",
            "form",
            "meta",
            "base",
            "link",
        ), payload
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), payload
            if name in ("href", "src"):
                assert safe_url(value) == value, payload
    assert sanitize_html(clean) == clean, payload  # idempotent: the render step may sanitize again


@pytest.mark.parametrize("payload", _read_vectors(SAMPLE))
def test_the_vendored_sample_leaves_no_script_handler_or_unsafe_url(payload: str) -> None:
    _assert_harmless(payload)


def test_bench_vectors_leave_no_script_handler_or_unsafe_url(shared: Path) -> None:
    payloads = _vectors(shared)
    assert len(payloads) > 300
    for payload in payloads:
        _assert_harmless(payload)
