"""Sections by rule, the explainable score, limits and pinned sources."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from digest.cli import main
from digest.config import RankConfig, SectionRule, parse_config
from digest.errors import ConfigError
from digest.models import Link
from digest.rank import DEFAULT_SECTION, PINNED, assign_section, rank, score

from .conftest import EXAMPLE_NOW, EXAMPLES
from .test_summarize import NOW, article, story

START = NOW - timedelta(days=7)
RULES = (
    SectionRule(name="Ferries", sources=("Harbor",)),
    SectionRule(name="Transit", keywords=("light rail",)),
    SectionRule(name="Space", categories=("space",)),
    SectionRule(name="Weather", patterns=(r"\bstorm(s|y)?\b",)),
    SectionRule(name="Nouvelles", languages=("fr",)),
)


def test_section_rules_first_match_wins() -> None:
    rules = RULES
    harbor_rail = story(article("a", "The light rail meets the ferry.", source="Harbor"))
    assert assign_section(harbor_rail, rules) == "Ferries", "the source rule comes first"
    assert assign_section(story(article("b", "A light rail vote.", source="Ledger")), rules) == "Transit"
    spaced = replace(article("c", "Rockets and a storm.", source="Ledger"), categories=("Science", "Space"))
    assert assign_section(story(spaced), rules) == "Space", "categories match case-insensitively, before patterns"
    assert assign_section(story(article("d", "Stormy seas ahead.", source="Ledger")), rules) == "Weather"
    french = replace(article("e", "Le traversier est en retard.", source="Ledger"), language="fr-CA")
    assert assign_section(story(french), rules) == "Nouvelles"
    assert assign_section(story(article("f", "Rail-less town.", source="Ledger")), rules) == DEFAULT_SECTION
    assert assign_section(story(article("g", "Light railway fans.", source="Ledger")), rules) == DEFAULT_SECTION


def test_score_parts_add_up_and_explain() -> None:
    copy = Link(source="Wire", url="https://wire.example/x", article_id="w")
    lead = replace(article("a", "Quantum ferry engines.", source="Harbor", hours=0), also_published_by=(copy,))
    other = article("b", "More on the ferry.", source="Ledger", hours=30)
    config = RankConfig(source_weights={"ledger.example": 2.0}, keyword_weights={"quantum": 1.5, "rumou?r": -5})
    scored = score(story(lead, other), config=config, start=START, end=NOW)
    parts = dict(scored.score_parts)
    assert parts == {"articles": 3.0, "domains": 3.0, "weight": 2.0, "recency": 1.0, "keywords": 1.5, "pinned": 0.0}
    assert scored.score == pytest.approx(sum(parts.values()))
    old = score(story(article("c", "Rumours of a ferry.", hours=24 * 6)), config=config, start=START, end=NOW)
    assert dict(old.score_parts)["keywords"] == -5 and 0.14 < dict(old.score_parts)["recency"] < 0.15


def test_limits_per_section_and_overall_spare_pinned_sources() -> None:
    stories = [story(article(f"s{i}", f"Story number {i}.", source="Ledger", hours=i)) for i in range(6)]
    pinned = story(article("pin", "An old note.", source="Editor", hours=150))
    config = RankConfig(max_stories=4, max_per_section=2, pinned_sources=("Editor",))
    rules = (SectionRule(name="Early", patterns=(r"number [012]\b",)),)
    sections = rank([*stories, pinned], rules=rules, config=config, start=START, end=NOW)
    by_name = {s.name: [x.id for x in s.stories] for s in sections}
    assert by_name == {"Early": ["s-s0", "s-s1"], DEFAULT_SECTION: ["s-pin", "s-s3"]}
    assert sections[1].stories[0].score > PINNED
    tight = rank([*stories, pinned], rules=rules, config=replace(config, max_stories=0), start=START, end=NOW)
    assert [s.id for section in tight for s in section.stories] == ["s-pin"], "pinned stories are never cut"


def test_without_sections_max_stories_is_the_only_limit() -> None:
    stories = [story(article(f"s{i}", f"Story number {i}.", source="Ledger", hours=i)) for i in range(45)]
    config = RankConfig()
    assert config.max_per_section < config.max_stories < len(stories)
    (section,) = rank(stories, rules=(), config=config, start=START, end=NOW)
    assert section.name == DEFAULT_SECTION and len(section.stories) == config.max_stories


def test_max_per_section_limits_only_the_sections_rules_name() -> None:
    stories = [story(article(f"s{i}", f"Story number {i}.", source="Ledger", hours=i)) for i in range(8)]
    rules = (SectionRule(name="Early", patterns=(r"number [0-4]\b",)),)
    config = RankConfig(max_stories=7, max_per_section=2)
    by_name = {s.name: len(s.stories) for s in rank(stories, rules=rules, config=config, start=START, end=NOW)}
    assert by_name == {"Early": 2, DEFAULT_SECTION: 3}
    auto = rank(stories, rules=(), config=replace(config, auto_sections=3), start=START, end=NOW)
    assert sum(len(s.stories) for s in auto) == 7


def test_bad_patterns_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"sections\[0\]\.patterns"):
        parse_config({"sections": [{"name": "X", "patterns": ["(unclosed"]}]})
    with pytest.raises(ConfigError, match="keyword_weights"):
        parse_config({"rank": {"keyword_weights": {"[a-": 1.0}}})
    with pytest.raises(ConfigError, match=r"summary\.backend"):
        parse_config({"summary": {"backend": "magic"}})
    with pytest.raises(ConfigError, match=r"summary\.lead_weight"):
        parse_config({"summary": {"lead_weight": 1.5}})
    with pytest.raises(ConfigError, match=r"summary\.llm"):
        parse_config({"summary": {"backend": "llm"}})


def test_explain_prints_each_story_with_its_score_parts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "example")
    config = str(tmp_path / "example" / "digest.toml")
    assert main(["run", "--config", config, "--now", EXAMPLE_NOW, "--dry-run", "--explain"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "articles=" in line]
    assert len(lines) == 8
    assert all(
        all(f"{part}=" in line for part in ("domains", "weight", "recency", "keywords", "pinned")) for line in lines
    )
    assert "[Science] Why last week's aurora reached so far south" in out


def test_automatic_sections_group_stories_by_topic_without_rules() -> None:
    from digest.config import SummaryConfig
    from digest.summarize import summarize

    topics = {
        "ferry": "The electric ferry crosses the harbor. Ferry riders praise the quiet ferry boats.",
        "rail": "The light rail line opens downtown. Rail commuters ride the new rail cars.",
    }
    stories = [
        story(article(f"{topic}{i}", f"{text} Day {i} brought news.", title=f"{topic.title()} report {i}", hours=i))
        for topic, text in topics.items()
        for i in range(3)
    ]
    stories.append(story(article("garlic", "Garlic cloves root before the frost.", title="Garlic time")))
    summarized = summarize(stories, config=SummaryConfig()).stories
    config = RankConfig(auto_sections=3)
    sections = rank(summarized, rules=(), config=config, start=START, end=NOW)
    grouped = {s.name: sorted(x.lead.id for x in s.stories) for s in sections}
    assert grouped == {
        "Ferry": ["ferry0", "ferry1", "ferry2"],
        "Rail": ["rail0", "rail1", "rail2"],
        DEFAULT_SECTION: ["garlic"],
    }
    assert rank(summarized, rules=(), config=RankConfig(), start=START, end=NOW)[0].name == DEFAULT_SECTION
