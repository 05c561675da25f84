"""[[filters]]: each criterion, drop and keep in order, counts per rule, dropped articles never marked seen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest import Pipeline, Services
from digest.config import FilterRule, parse_config
from digest.errors import ConfigError
from digest.filters import apply_filters, rule_matches
from digest.models import Article
from digest.store import open_store

from .conftest import LoopbackConfig
from .weekly import scoped_id, story, write_feed

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _article(**fields: object) -> Article:
    base: dict[str, object] = {
        "id": "a",
        "title": "Council approves harbor plan",
        "url": "https://example.org/a",
        "source": "City Ledger",
        "published": NOW,
        "text": "The council approved the harbor plan on Monday after a long debate.",
        "categories": ("Local",),
        "language": "en-GB",
    }
    return Article(**{**base, **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rule", "hit"),
    [
        (FilterRule(sources=("City Ledger",)), True),
        (FilterRule(sources=("Harbor Tech",)), False),
        (FilterRule(categories=("local",)), True),
        (FilterRule(categories=("Sports",)), False),
        (FilterRule(keywords=("harbor",)), True),
        (FilterRule(keywords=("harb",)), False),  # whole words only
        (FilterRule(patterns=(r"approv\w+ .* plan",)), True),
        (FilterRule(patterns=(r"^sponsored",)), False),
        (FilterRule(languages=("en",)), True),
        (FilterRule(languages=("de",)), False),
        (FilterRule(min_words=50), True),
        (FilterRule(min_words=5), False),
        # Every criterion given must match.
        (FilterRule(sources=("City Ledger",), keywords=("sponsored",)), False),
        (FilterRule(sources=("City Ledger",), keywords=("council",)), True),
    ],
)
def test_each_criterion(rule: FilterRule, hit: bool) -> None:
    assert rule_matches(rule, _article()) is hit


def test_first_matching_rule_decides_and_each_rule_counts_its_own() -> None:
    rules = (
        FilterRule(action="keep", name="editor's picks", keywords=("harbor",)),
        FilterRule(name="sponsored", patterns=(r"\bsponsored\b",)),
        FilterRule(name="short", min_words=5),
    )
    articles = [
        _article(id="1", title="Sponsored: harbor cruises"),  # kept: the keep rule comes first
        _article(id="2", title="Sponsored: new phones", text="Buy the new phones today at any store near you."),
        _article(id="3", title="Brief", text="Too short."),
        _article(id="4", title="Brief", text="Sponsored and short."),  # the first rule that matches counts it
        _article(id="5", title="Park reopens", text="The park reopened on Sunday after repairs to its paths."),
    ]
    result = apply_filters(articles, rules)
    assert [a.id for a in result.kept] == ["1", "5"]
    assert result.dropped == (("sponsored", 2), ("short", 1))
    assert result.dropped_count == 3


def test_config_checks_filters(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="action"):
        parse_config({"filters": [{"action": "hide", "keywords": ["x"]}]})
    with pytest.raises(ConfigError, match="criterion"):
        parse_config({"filters": [{"action": "drop"}]})
    with pytest.raises(ConfigError, match="regular expression"):
        parse_config({"filters": [{"patterns": ["("]}]})
    with pytest.raises(ConfigError, match="unknown key"):
        parse_config({"filters": [{"keyword": ["x"]}]})


def _wire(folder: Path) -> list[dict[str, str]]:
    """The sources table of one local feed of four stories, the second of them sponsored."""
    items = [story(n, NOW - timedelta(days=1, hours=n)) for n in range(4)]
    items[1] = story(1, NOW - timedelta(days=2), title="Sponsored: a harbor1 cruise")
    write_feed(folder / "wire.xml", items)
    return [{"path": "wire.xml", "name": "Wire"}]


def test_dropped_articles_are_reported_never_seen_and_come_back(
    tmp_path: Path, loopback_config: LoopbackConfig
) -> None:
    rule = {"name": "sponsored", "keywords": ["sponsored"]}
    config = loopback_config(sources=_wire(tmp_path), filters=[rule])
    with open_store(tmp_path / "state.db") as store:
        report = Pipeline(config, Services(env={}), store=store).run(NOW)
        assert report.filtered == (("sponsored", 1),)
        assert report.to_dict()["filtered"] == {"sponsored": 1}
        assert report.marked_seen == 3
        dropped = scoped_id(tmp_path / "wire.xml", 1)
        assert not store.seen.ids([dropped])

        # The rule removed: the article comes back the next run, and only it.
        config = loopback_config(sources=_wire(tmp_path))
        report = Pipeline(config, Services(env={}), store=store).run(NOW + timedelta(hours=1))
        assert report.filtered == ()
        assert report.marked_seen == 1
        assert store.seen.ids([dropped]) == {dropped}
