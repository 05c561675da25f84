"""Story memory across issues: a follow-up is an "Update" that shows only what is new."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from digest import Pipeline, Services, load_config
from digest.rank import recall, signature
from digest.store import open_store

from .conftest import write_config
from .test_e2e import NOW
from .test_summarize import FERRY, FERRY_2, article, story

VENTS = """\
---
title: {title}
date: {date}
url: https://{host}/{slug}
source: {source}
---
{body}
"""


def _save(folder: Path, slug: str, title: str, days_ago: float, source: str, body: str) -> None:
    when = (NOW - timedelta(days=days_ago)).isoformat().replace("+00:00", "Z")
    text = VENTS.format(title=title, date=when, host=source.lower() + ".example", slug=slug, source=source, body=body)
    (folder / f"{slug}.md").write_text(text, encoding="utf-8")


def test_second_week_shows_an_update_with_only_the_new_article(tmp_path: Path) -> None:
    saved = tmp_path / "saved"
    saved.mkdir()
    _save(
        saved,
        "vents",
        "Submarines map hydrothermal vents on the Kessel Ridge",
        2,
        "Oceans",
        "Two autonomous submarines mapped the hydrothermal vents of the Kessel Ridge. "
        "The expedition found forty vents and sampled the microbes living around them.",
    )
    _save(
        saved,
        "garlic",
        "Plant garlic before the first frost",
        3,
        "Garden",
        "Garlic cloves planted in autumn root before winter. Mulch keeps the soil from heaving.",
    )
    config = load_config(
        write_config(tmp_path / "digest.toml", f'[digest]\nstate = "state.db"\n\n[[sources]]\nfolder = "{saved}"\n')
    )
    with open_store(tmp_path / "state.db") as store:
        first = Pipeline(config, Services(env={}), store=store).run(NOW)
        assert first.delivered_to and first.stories == 2 and store.count("story_memory") == 2

        _save(
            saved,
            "vents-2",
            "Kessel Ridge vents: microbes sequenced",
            -6,
            "Science",
            "Microbes sampled at the hydrothermal vents of the Kessel Ridge were sequenced. "
            "The submarines of the expedition will return to the forty vents next year.",
        )
        _save(saved, "tides", "Record tides expected", -6, "Harbor", "The harbor expects record tides on Friday.")
        second = Pipeline(config, Services(env={}), store=store).run(NOW + timedelta(days=7))
    ranking = {r.label: r.update for r in second.ranking}
    assert ranking == {"Kessel Ridge vents: microbes sequenced": True, "Record tides expected": False}
    markdown = Path(dict(second.outputs)["markdown"]).read_text(encoding="utf-8")
    assert "Update: [Kessel Ridge vents: microbes sequenced]" in markdown
    assert "Submarines map hydrothermal vents" not in markdown, "only what is new is shown"
    report = json.loads((tmp_path / "output" / "report.json").read_text())
    assert [r["update"] for r in report["ranking"]].count(True) == 1


def test_recall_leaves_out_what_was_sent_and_trims_updates() -> None:
    from digest.models import StoryMemory

    sent = StoryMemory("old", "2026-W47", "Ferry", signature(story(FERRY)), ("ferry",), NOW - timedelta(days=7))
    unrelated = story(article("x", "Garlic cloves root before winter.", title="Garlic"))
    kept = recall([story(FERRY), story(FERRY, FERRY_2), unrelated], [sent], threshold=0.5)
    assert [(s.id, s.is_update, [a.id for a in s.articles]) for s in kept] == [
        ("s-ferry", True, ["ferry-2"]),
        ("s-x", False, ["x"]),
    ]
    assert kept[0].lead.id == "ferry-2"
