"""Each benchmark, run on a tiny input of its own, must still run and print its last line's figures.

A benchmark nothing runs rots: a signature changes and the figure quoted for it can no longer be
reproduced. These runs check the shape of each last line (and that the figures are sane), not the
figures themselves, which only the full inputs measure.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .browser import missing_reason
from .conftest import ROOT

# A subprocess, a browser, a wheel build or a server: run by ./scripts/test and CI, left out by -m 'not slow'.
pytestmark = pytest.mark.slow

NUMBER = r"-?\d+(?:\.\d+)?"


def run_benchmark(name: str, *args: str, timeout: float = 300) -> dict[str, float]:
    """Run ``benchmarks/<name>.py`` and return its last line's ``key=value`` figures."""
    command = [sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    last = result.stdout.strip().splitlines()[-1]
    pairs = last.split()
    assert all(re.fullmatch(rf"[a-z_0-9]+={NUMBER}", pair) for pair in pairs), f"last line of {name}: {last!r}"
    return {key: float(value) for key, value in (pair.split("=") for pair in pairs)}


def test_dedupe_quality() -> None:
    figures = run_benchmark("dedupe_quality", "--articles", "60", "120")
    assert set(figures) == {"n", "precision", "recall", "seconds"}
    assert figures["n"] > 120 and 0 <= figures["precision"] <= 1 and figures["recall"] > 0.5


def test_paraphrase_quality(tmp_path: Path) -> None:
    pairs = [
        ("1", "The council approved the tram line on Monday.", "On Monday the council approved the tram line."),
        ("1", "Storms closed the harbour for two days.", "The harbour was closed for two days by storms."),
        ("0", "The library reopened after its renovation.", "Garlic should be planted before the first frost."),
        ("0", "Submarines mapped vents on the ridge.", "The mayor announced a new budget for schools."),
    ]
    corpus = tmp_path / "pairs.txt"
    lines = ["Quality\t#1 ID\t#2 ID\t#1 String\t#2 String"]
    lines += [f"{q}\t{2 * n}\t{2 * n + 1}\t{a}\t{b}" for n, (q, a, b) in enumerate(pairs)]
    corpus.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    figures = run_benchmark("paraphrase_quality", str(corpus))
    assert set(figures) == {"accuracy", "f1"}
    assert 0 <= figures["accuracy"] <= 1


def test_ingest_corpus(tmp_path: Path) -> None:
    (tmp_path / "good.xml").write_text(
        "<rss><channel><title>T</title><item><title>One</title><link>https://a.example/1</link></item></channel></rss>",
        encoding="utf-8",
    )
    (tmp_path / "broken.xml").write_text("<rss><channel><item><title>", encoding="utf-8")
    (tmp_path / "empty.xml").write_bytes(b"")
    figures = run_benchmark("ingest_corpus", str(tmp_path))
    assert figures["files"] == 3 and figures["crashed"] == 0
    assert figures["parsed"] >= 1 and figures["parsed"] + figures["reported"] == 3


def test_fetch_speed() -> None:
    figures = run_benchmark("fetch_speed", "--feeds", "12", "--items", "3", "--hosts", "2", "--latency-ms", "1")
    assert set(figures) == {"cold_s", "warm_s", "warm_speedup", "parse_ratio"}
    assert figures["cold_s"] > 0 and figures["warm_s"] > 0


def test_site_speed() -> None:
    figures = run_benchmark("site_speed", "4", "3")
    assert {"issues", "stories", "total_s", "ratio", "per_issue_ratio"} <= set(figures)
    assert figures["issues"] == 4 and figures["stories"] == 3


@pytest.mark.browser
@pytest.mark.skipif(bool(missing_reason()), reason=missing_reason() or "")
def test_xss_corpus(tmp_path: Path) -> None:
    vectors = tmp_path / "tiny" / "vectors.jsonl"
    vectors.parent.mkdir()
    payloads = ['<img src=x onerror="window.__xss=1">', "<script>window.__xss=1</script>", "<b>harmless</b> text"]
    vectors.write_text("".join(json.dumps({"id": f"v{n}", "payload": p}) + "\n" for n, p in enumerate(payloads)))
    figures = run_benchmark("xss_corpus", str(tmp_path))
    assert figures == {"vectors": 3, "executed": 0}


@pytest.mark.browser
@pytest.mark.skipif(bool(missing_reason()), reason=missing_reason() or "")
def test_screenshots(tmp_path: Path) -> None:
    figures = run_benchmark("screenshots", str(tmp_path / "shots"))
    assert figures["screenshots"] >= 8 and figures["overflowing"] == 0
    assert len(list((tmp_path / "shots").glob("*.png"))) == figures["screenshots"]


def test_run_speed() -> None:
    figures = run_benchmark("run_speed", "--articles", "200", "--items", "20", "--hosts", "2")
    assert set(figures) == {"n", "seconds", "peak_mb", "parse_s", "ratio"}
    assert figures["n"] == 200 and figures["seconds"] > 0 and figures["parse_s"] > 0


def test_every_benchmark_is_run_by_some_test() -> None:
    # A new benchmark without a tiny run in the suite would rot unseen; this names it.
    tests = "".join(path.read_text(encoding="utf-8") for path in (ROOT / "tests").glob("test_*.py"))
    scripts = sorted(p.stem for p in (ROOT / "benchmarks").glob("*.py") if not p.stem.startswith("_"))
    assert len(scripts) > 10
    unrun = [name for name in scripts if f"{name}.py" not in tests and f'"{name}"' not in tests]
    assert not unrun, f"benchmarks no test runs: {unrun}"


def _headline(n: int, story: str, source: str, title: str) -> str:
    row = {"id": f"t{n}", "title": title, "text": "", "url": f"https://news.example/{n}", "source": source}
    return json.dumps({**row, "published": f"2026-11-2{n % 3}T0{n % 9}:00:00+00:00", "story": story, "topic": None})


def test_reader_week(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rows = [
        ("tram", "Harbour Times", "Council approves tram line to the airport"),
        ("tram", "Daily Courier", "Airport tram line approved by city council"),
        ("tram", "North Star", "Tram to the airport gets the council's go-ahead"),
        ("storm", "Harbour Times", "Storm closes the harbour for two days"),
        ("storm", "Evening Post", "Harbour shut for two days as storm hits the coast"),
        ("storm", "North Star", "Coastal storm keeps ferries in port for two days"),
    ]
    lines = [_headline(n, *row) for n, row in enumerate(rows)]
    (corpus / "articles.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "garden.txt").write_text(
        "Garlic planting guide\n\nPlant garlic cloves before the first frost, pointed end up, a hand apart.\n",
        encoding="utf-8",
    )
    (saved / "library.txt").write_text(
        "The library reopens\n\nThe city library reopened on Monday after a year of renovation work.\n",
        encoding="utf-8",
    )
    feed = tmp_path / "feed.rss"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Bay Gazette</title><link>https://bay.example/</link>'
        "<description>news</description><item><title>Ferry timetable changes next week</title>"
        "<link>https://bay.example/ferry</link><pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate>"
        "<description>&lt;p&gt;The ferry company will run two fewer crossings a day from Monday. The change "
        "lasts until the spring, when the second boat returns from repairs.&lt;/p&gt;</description></item>"
        "</channel></rss>",
        encoding="utf-8",
    )
    figures = run_benchmark("reader_week", str(corpus), "--seeds", str(saved), "--feed", str(feed))
    assert set(figures) == {
        "email_stories", "email_share", "html_kb", "max_links", "big_shown", "mixed", "repeated",
        "short_headlines", "seed_stories", "flagged",
    }  # fmt: skip
    assert figures["email_stories"] == 2 and figures["email_share"] == 1.0 and 0 < figures["html_kb"] < 102
    assert figures["mixed"] == 0 and figures["repeated"] == 0 and figures["seed_stories"] == 2
    assert 1 <= figures["max_links"] <= 12 and figures["flagged"] == 0


def test_install_footprint(tmp_path: Path) -> None:
    # An environment measured as it is: a venv holding one made-up distribution of a 2 MB file.
    import venv

    env = tmp_path / "venv"
    venv.create(env, with_pip=False)
    site = next(env.glob("lib/python3*/site-packages"))
    (site / "ballast").mkdir()
    (site / "ballast" / "table.bin").write_bytes(b"\0" * 2_000_000)
    info = site / "ballast-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ballast\nVersion: 1.0\n", encoding="utf-8")
    (info / "RECORD").write_text("ballast/table.bin,,\nballast-1.0.dist-info/METADATA,,\n", encoding="utf-8")
    figures = run_benchmark("install_footprint", "--venv", str(env), "--modules", "json")
    assert figures["distributions"] == 1 and 1.9 < figures["dependencies_mb"] < 2.1
    assert figures["site_packages_mb"] >= 1.9 and "install_s" not in figures
