"""benchmarks/feed_fidelity.py on a tiny corpus of each expectation format, so it cannot rot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

# A subprocess, a browser, a wheel build or a server: run by ./scripts/test and CI, left out by -m 'not slow'.
pytestmark = pytest.mark.slow

RSS = """<?xml version="1.0"?>
<!--
Description: one item
Expect:      not bozo and entries[0]['title'] == 'Tide &amp; pier' and entries[0]['link'] == '{link}'
-->
<rss version="2.0"><channel><title>T</title><link>https://quay.example/</link>
<item><title>Tide &amp;amp; pier</title><link>/tide?id=1;page=2</link>
<pubDate>Seg, 24 Set 2018 19:42:40 -0300</pubDate><description>&lt;p&gt;Body&lt;/p&gt;</description></item>
</channel></rss>"""


def _corpus(root: Path, link: str) -> None:
    feedparser = root / "feedparser-tests" / "tests" / "wellformed" / "rss"
    feedparser.mkdir(parents=True)
    (feedparser / "item.xml").write_text(RSS.format(link=link))
    gofeed = root / "gofeed-testdata" / "testdata" / "translator" / "rss"
    gofeed.mkdir(parents=True)
    (gofeed / "item.xml").write_text(RSS.format(link=link))
    expected = {"items": [{"title": "Tide &amp; pier", "link": link, "publishedParsed": "2018-09-24T22:42:40Z"}]}
    (gofeed / "item.json").write_text(json.dumps(expected))
    rss_parser = root / "rss-parser-realfeeds" / "test"
    (rss_parser / "input").mkdir(parents=True)
    (rss_parser / "output").mkdir()
    (rss_parser / "input" / "item.rss").write_text(RSS.format(link=link))
    items = [{"title": "Tide & pier", "link": "/tide?id=1;page=2", "isoDate": "2018-09-24T22:42:40.000Z"}]
    items[0]["content"] = "<p>Body</p>"
    (rss_parser / "output" / "item.json").write_text(json.dumps({"feed": {"items": items}}))


def _run(root: Path) -> list[str]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "feed_fidelity.py"), str(root)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
    )
    return result.stdout.splitlines()


def test_every_format_is_read_and_compared_field_by_field(tmp_path: Path) -> None:
    _corpus(tmp_path, "https://quay.example/tide?id=1;page=2")
    lines = _run(tmp_path)
    assert lines[-1] == "fields=9 matched=9 rate=1.0000"
    assert any(line.startswith("rss-parser") and "date" in line for line in lines)


def test_a_wrong_expectation_is_a_mismatch_named_with_its_file(tmp_path: Path) -> None:
    _corpus(tmp_path, "https://quay.example/tide?id=1%3Bpage%3D2")
    lines = _run(tmp_path)
    assert lines[-1] == "fields=9 matched=7 rate=0.7778"
    assert any("item.xml[0]" in line and "page%3D2" in line for line in lines)
