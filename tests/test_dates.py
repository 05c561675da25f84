"""One date module: feed dates in the feed's language, front matter, HTTP dates; unreadable ones reported."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.dates import DateBudget, from_value, http_date, iso_datetime, parse_date
from digest.models import Problem
from digest.sources import parse_feed, read_folder

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _rss(items: str, language: str = "") -> bytes:
    lang = f"<language>{language}</language>" if language else ""
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{lang}{items}</channel></rss>'.encode()


def test_a_portuguese_feed_date_is_read_with_its_month_and_day_names() -> None:
    item = "<item><guid>1</guid><title>Notícia</title><pubDate>Seg, 24 Set 2018 19:42:40 -0300</pubDate></item>"
    problems: list[Problem] = []
    [(article, dated)] = parse_feed(_rss(item, "pt-br"), location="f", now=NOW, problems=problems)
    assert dated and problems == []
    assert article.published == datetime(2018, 9, 24, 22, 42, 40, tzinfo=UTC)


def test_an_unreadable_date_is_a_problem_naming_the_item_which_keeps_first_seen() -> None:
    items = "<item><guid>1</guid><title>Pier reopens</title><pubDate>sometime soon</pubDate></item>"
    problems: list[Problem] = []
    [(article, dated)] = parse_feed(_rss(items), location="https://quay.example/feed", now=NOW, problems=problems)
    assert not dated and article.published == NOW
    [problem] = problems
    assert problem.source == "https://quay.example/feed"
    assert "Pier reopens" in problem.message and "sometime soon" in problem.message


def test_many_unreadable_dates_are_one_problem_that_counts_the_rest() -> None:
    items = "".join(f"<item><guid>{n}</guid><title>Item {n}</title><pubDate>soon</pubDate></item>" for n in range(9))
    problems: list[Problem] = []
    parse_feed(_rss(items), location="f", now=NOW, problems=problems)
    [problem] = problems
    assert "Item 0" in problem.message and "and 6 more" in problem.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("January 5, 2024", datetime(2024, 1, 5, tzinfo=UTC)),
        ("5 Jan 2024", datetime(2024, 1, 5, tzinfo=UTC)),
        ("2024/01/05", datetime(2024, 1, 5, tzinfo=UTC)),
        ("2024-01-05T10:00:00z", datetime(2024, 1, 5, 10, tzinfo=UTC)),
        ("Tue, 17 Nov 2026 14:00:00 GMT", datetime(2026, 11, 17, 14, tzinfo=UTC)),
        ("Mon, 24 Sep 2018 19:42:40 -0300", datetime(2018, 9, 24, 22, 42, 40, tzinfo=UTC)),
    ],
)
def test_common_written_dates_parse(text: str, expected: datetime) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2 days ago", "March 2024", "soon", "1700000000", "x" * 10_000])
def test_no_guessing_from_part_of_a_date_or_from_the_clock(text: str) -> None:
    assert parse_date(text) is None


def test_http_iso_and_yaml_values() -> None:
    assert http_date("Sun, 06 Nov 1994 08:49:37 GMT") == datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    assert http_date("never") is None
    assert iso_datetime("2026-11-23") == datetime(2026, 11, 23, tzinfo=UTC)
    assert iso_datetime("23 Nov") is None
    assert from_value(datetime(2026, 11, 23).date()) == datetime(2026, 11, 23, tzinfo=UTC)
    assert from_value(7) is None


@pytest.mark.parametrize("written", ["January 5, 2024", "5 Jan 2024", "2024/01/05", "2024-01-05"])
def test_front_matter_dates_and_comments(tmp_path: Path, written: str) -> None:
    (tmp_path / "a.md").write_text(f"---\ntitle: Hello # draft\ndate: {written}\n---\nBody text here.\n")
    problems: list[Problem] = []
    [(article, dated)] = read_folder(tmp_path, now=NOW, problems=problems)
    assert problems == []
    assert article.title == "Hello"
    assert dated and article.published == datetime(2024, 1, 5, tzinfo=UTC)


def test_an_unreadable_front_matter_date_is_a_problem_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ntitle: Hello\ndate: the day after\n---\nBody text here.\n")
    problems: list[Problem] = []
    [(article, dated)] = read_folder(tmp_path, now=NOW, problems=problems)
    assert not dated and article.published == NOW
    [problem] = problems
    assert problem.source.endswith("a.md") and "the day after" in problem.message


def test_front_matter_that_is_not_yaml_is_read_line_by_line_and_reported(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ntitle: Why: a story # draft\ndate: 2024-01-05\n---\nBody text here.\n")
    problems: list[Problem] = []
    [(article, dated)] = read_folder(tmp_path, now=NOW, problems=problems)
    assert article.title == "Why: a story" and dated
    [problem] = problems
    assert problem.source.endswith("a.md") and "not YAML" in problem.message


def test_a_yaml_alias_bomb_in_front_matter_is_harmless(tmp_path: Path) -> None:
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n"
        for i in range(20)
    )
    (tmp_path / "a.md").write_text(f"---\n{bomb}title: Bomb\n---\nBody text here.\n")
    [(article, _)] = read_folder(tmp_path, now=NOW, problems=[])
    assert article.title == "Bomb"


def test_a_feed_gives_up_on_date_names_after_a_few_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    import digest.dates

    tried: list[str] = []
    real = digest.dates.parse_date

    def counting(text: str, *, languages: tuple[str, ...] = (), names: bool = True) -> datetime | None:
        if names:
            tried.append(text)
        return real(text, languages=languages, names=names)

    monkeypatch.setattr(digest.dates, "parse_date", counting)
    items = "".join(f"<item><guid>{n}</guid><title>I{n}</title><pubDate>junk {n}</pubDate></item>" for n in range(500))
    problems: list[Problem] = []
    found = parse_feed(_rss(items), location="f", now=NOW, problems=problems)
    assert len(found) == 500 and not any(dated for _, dated in found)
    assert len(tried) == 10, "dateparser costs milliseconds a date: a hostile feed must not get it 500 times"
    [problem] = problems
    assert "and 497 more" in problem.message


def test_the_date_budget_counts_calls_and_failures() -> None:
    pt = "Seg, 24 Set 2018 19:42:40 -0300"
    budget = DateBudget(calls=2, failures=5)
    assert budget.parse(pt, languages=["pt"]) is not None
    assert budget.parse(pt, languages=["pt"]) is not None
    assert budget.parse(pt, languages=["pt"]) is None, "out of calls"
    assert budget.parse("Tue, 17 Nov 2026 14:00:00 GMT") is not None, "standard dates never need the budget"


def test_gather_reports_the_unreadable_date_and_keeps_the_item(tmp_path: Path) -> None:
    from digest.config import Config, SourceConfig
    from digest.sources import gather

    feed = tmp_path / "f.xml"
    feed.write_bytes(_rss("<item><guid>1</guid><title>Pier reopens</title><pubDate>31/31/31</pubDate></item>"))
    gathered = gather(Config(sources=(SourceConfig(path=str(feed)),)), now=NOW)
    [article] = gathered.articles
    assert article.id in gathered.undated and article.published == NOW
    [problem] = gathered.problems
    assert problem.source == str(feed) and "Pier reopens" in problem.message
