"""The text benchmarks (summary quality and speed, extraction quality) run end to end on tiny made-up inputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

# A subprocess, a browser, a wheel build or a server: run by ./scripts/test and CI, left out by -m 'not slow'.
pytestmark = pytest.mark.slow

_PARAGRAPHS = [
    "The council approved the Harbour Line on Tuesday. Work starts in May.",
    "Dr. Ames, who chairs the transport board, said the line would carry 30,000 people a day.",
    "Critics said the 3.5 km tunnel was too costly. The vote was 31 to 12.",
    '"It is a good day for the city," the mayor said. "Now we build."',
]


def _figures(last_line: str) -> dict[str, float]:
    return {key: float(value) for key, value in (pair.split("=") for pair in last_line.split())}


def _run(script: str, *args: str) -> dict[str, float]:
    command = [sys.executable, str(ROOT / "benchmarks" / script), *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's digest, whatever the venv has installed
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True, env=env)
    return _figures(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def stories(tmp_path: Path) -> Path:
    with (tmp_path / "stories.jsonl").open("w", encoding="utf-8") as out:
        for n in range(4):
            paragraphs = _PARAGRAPHS[n:] + _PARAGRAPHS[:n]
            article = {"id": f"a{n}", "title": f"Tram {n}", "text": "\n\n".join(paragraphs)}
            row = {"id": str(n), "section": "city", "articles": [article], "summary": paragraphs[0]}
            out.write(json.dumps(row) + "\n")
    return tmp_path


def test_summary_quality_scores_the_summarizer(stories: Path) -> None:
    pytest.importorskip("rouge_score")
    figures = _run("summary_quality.py", str(stories))
    assert set(figures) == {"rouge1", "rouge2", "rougeL"}
    # Each reference is a paragraph of its story, so a working summarizer shares words with it.
    assert 0 < figures["rouge2"] <= figures["rouge1"] <= 1


def test_summary_speed_times_stories_and_a_week(stories: Path) -> None:
    figures = _run("summary_speed.py", str(stories), "--week", "40")
    assert figures["week_articles"] == 40
    assert all(figures[key] > 0 for key in ("story5_ms", "story50_ms", "story500_ms"))
    assert figures["week_cpu_s"] >= 0


def test_extract_quality_scores_every_extractor(tmp_path: Path) -> None:
    body = "".join(f"<p>{p}</p>" for p in _PARAGRAPHS * 2)
    for name in ("one", "two"):
        page = tmp_path / name
        page.mkdir()
        (page / "source.html").write_text(
            f"<html><body><nav>Home News Sport</nav><article>{body}</article><footer>Contact us</footer></body></html>",
            encoding="utf-8",
        )
        (page / "expected.html").write_text(f"<div>{body}</div>", encoding="utf-8")
    figures = _run("extract_quality.py", str(tmp_path))
    assert figures["pages"] == 2
    assert figures["fallback_f1"] == 1.0  # the article element, without the menu and the footer
    assert figures["visible_f1"] < 1.0  # all visible text keeps them
