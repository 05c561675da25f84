"""The clustering benchmarks run on tiny inputs, so they cannot rot between the runs that measure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .headline_week import mixed_week

# Each test starts a benchmark script in a fresh interpreter (a second or more of imports alone); the
# clustering they drive is covered in process by test_cluster*.py, so only the full suite runs them.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, check=True, capture_output=True, text=True, timeout=300)
    return done.stdout


def _write_corpus(folder: Path) -> None:
    articles, gold = mixed_week()
    folder.mkdir(parents=True)
    with (folder / "articles.jsonl").open("w", encoding="utf-8") as out:
        for article, story in zip(articles, gold, strict=True):
            row = {
                "id": article.id,
                "title": article.title,
                "text": article.text,
                "url": article.url,
                "source": article.source,
                "published": article.published.isoformat(),
                "story": story,
                "topic": story.split("-")[0],
            }
            out.write(json.dumps(row) + "\n")


def test_cluster_quality_reports_every_corpus_of_a_folder(tmp_path: Path) -> None:
    _write_corpus(tmp_path / "week-a")
    _write_corpus(tmp_path / "week-b")
    out = _run("benchmarks/cluster_quality.py", str(tmp_path), "--default-only", "--half", "odd")
    lines = out.strip().splitlines()
    assert sum("every article alone" in line for line in lines) == 2
    assert sum("all in one story" in line for line in lines) == 2
    scores = dict(item.split("=") for item in lines[-1].split())
    assert set(scores) == {"week-a.wordllama", "week-b.wordllama"}
    assert all(0.0 <= float(v) <= 1.0 for v in scores.values())


def test_cluster_quality_measures_a_model_folder(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    from .tiny_onnx import lookup_model, table, tokenizer

    model = tmp_path / "tiny-onnx"
    model.mkdir()
    tokenizer(model)
    lookup_model(model, table(), with_mask=True)
    _write_corpus(tmp_path / "corpora" / "week")
    out = _run("benchmarks/cluster_quality.py", str(tmp_path / "corpora"), "--model", str(model))
    scores = dict(item.split("=") for item in out.strip().splitlines()[-1].split())
    assert {"week.wordllama", "week.lexical", "week.tiny-onnx"} <= set(scores)


def test_cluster_speed_reports_sizes_and_growth() -> None:
    out = _run("benchmarks/cluster_speed.py", "--articles", "60", "120")
    last = dict(item.split("=") for item in out.strip().splitlines()[-1].split())
    assert last["n"] == "120" and float(last["seconds"]) > 0 and float(last["peak_mb"]) > 0
    assert last["exponent"] != "nan"


def test_cluster_speed_times_a_week_of_headlines() -> None:
    out = _run("benchmarks/cluster_speed.py", "--articles", "80", "--headlines")
    last = dict(item.split("=") for item in out.strip().splitlines()[-1].split())
    assert last["n"] == "80" and float(last["docs_per_s"]) > 0
