"""Each article's language: declared while plausible, detected otherwise."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.extract import extract
from digest.language import LanguageDetector, detect_languages, primary_subtag
from digest.models import Article
from digest.sources.feeds import parse_feed

from .conftest import ROOT

NOW = datetime(2026, 3, 13, 12, tzinfo=UTC)

GERMAN = (
    "Die Stadtverwaltung hat am Montag beschlossen, die Straßenbahnlinie bis zum neuen Wohngebiet im Norden zu "
    "verlängern. Die Bauarbeiten sollen im Frühjahr beginnen und zwei Jahre dauern, teilte die Bürgermeisterin mit."
)
FRENCH = (
    "Le conseil municipal a voté lundi le prolongement de la ligne de tramway jusqu'au nouveau quartier du nord de la "
    "ville. Les travaux devraient commencer au printemps et durer environ deux ans, selon la maire."
)
SPANISH = (
    "El ayuntamiento aprobó el lunes la ampliación de la línea de tranvía hasta el nuevo barrio del norte de la "
    "ciudad. Las obras comenzarán en primavera y durarán unos dos años, según explicó la alcaldesa."
)
PORTUGUESE = (
    "A câmara municipal aprovou na segunda-feira a extensão da linha de elétrico até ao novo bairro no norte da "
    "cidade. As obras devem começar na primavera e durar cerca de dois anos, segundo a presidente da câmara."
)
ENGLISH = (
    "The city council voted on Monday to extend the tram line to the new housing estate in the north of the city. "
    "Work is due to start in the spring and to last about two years, the mayor said."
)


def article(title: str, text: str = "", language: str = "") -> Article:
    return Article(id=title, title=title, url="", source="s", published=NOW, text=text, language=language)


@pytest.mark.parametrize(
    ("text", "expected"), [(GERMAN, "de"), (FRENCH, "fr"), (SPANISH, "es"), (PORTUGUESE, "pt"), (ENGLISH, "en")]
)
def test_a_week_in_five_languages_is_told_apart_with_nothing_declared(text: str, expected: str) -> None:
    (found,) = detect_languages([article("", text)])
    assert found.language == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Regierung beschließt neues Gesetz zur Förderung der Wärmepumpen", "de"),
        ("Le gouvernement annonce une réforme des retraites pour l'automne", "fr"),
        ("Governo anuncia novas medidas para conter a inflação no país", "pt"),
        ("Il governo approva la riforma della scuola dopo un lungo dibattito", "it"),
        ("De regering kondigt nieuwe maatregelen aan tegen de woningnood", "nl"),
    ],
)
def test_a_headline_alone_is_enough(title: str, expected: str) -> None:
    assert LanguageDetector().detect(title) == expected


def test_text_that_says_nothing_is_left_undetermined() -> None:
    detector = LanguageDetector()
    assert detector.detect("v3.8.11") == ""
    assert detector.detect("2026-03-13 12:00") == ""
    assert detector.detect("") == ""


def test_a_declaration_the_text_agrees_with_is_kept_whole() -> None:
    (found,) = detect_languages([article("Tram line extended", ENGLISH, language="en-GB")])
    assert found.language == "en-GB"


def test_long_text_overrules_a_wrong_declaration_but_a_headline_does_not() -> None:
    wrong_long, wrong_short = detect_languages(
        [article("Tram line", ENGLISH + " " + ENGLISH, language="kn"), article("Tram line extended", language="de")]
    )
    assert wrong_long.language == "en"
    assert wrong_short.language == "de"


def test_an_undeclared_feed_speaks_for_its_headlines_that_read_as_another_language() -> None:
    # Each of these reads as another language alone; beside the feed's other headlines they are English.
    odd = ["Renault unveils Clio concept in Paris", "Pedro Sanchez wins vote", "Tour de France route revealed"]
    plain = [
        "Council extends the tram line north",
        "Storm closes the harbour for two days",
        "City library reopens after a year of repairs",
        "Ferry crossings cut until the spring",
        "Teachers vote to accept the pay offer",
        "New bridge opens to traffic on Monday",
    ]
    assert {LanguageDetector().detect(title) for title in odd} >= {"fr"}
    feed = [replace(article(title), feed_url="https://daily.example/feed") for title in plain + odd]
    assert [a.language for a in detect_languages(feed)] == ["en"] * 9
    # A long text in another language still says so, and a feed with no clear majority has none.
    german = replace(article("Straßenbahn", GERMAN), feed_url="https://daily.example/feed")
    assert detect_languages([*feed, german])[-1].language == "de"
    split = [replace(article(t), feed_url="https://mixed.example/feed") for t in [plain[0], plain[1], *odd]]
    assert [a.language for a in detect_languages(split)][2:] == [LanguageDetector().detect(t) for t in odd]
    # Saved files are each their own "feed": no vote among them.
    saved = [replace(article(t), feed_url=f"/saved/{n}.txt") for n, t in enumerate(plain + odd)]
    assert [a.language for a in detect_languages(saved)][6:] == [LanguageDetector().detect(t) for t in odd]


def test_a_declaration_that_is_not_a_language_tag_is_ignored() -> None:
    assert primary_subtag("en_US") == "en"
    assert primary_subtag("pt-BR") == "pt"
    assert primary_subtag("<script>") == ""
    (found,) = detect_languages([article("", GERMAN, language="'; DROP TABLE")])
    assert found.language == "de"


def test_undeclared_german_and_empty_portuguese_feeds_are_detected(shared: Path) -> None:
    folder = shared / "bench/feeds/rss-parser-realfeeds/test/input"
    for name, expected in (("heise.atom", "de"), ("uolNoticias.rss", "pt")):
        parsed = parse_feed((folder / name).read_bytes(), location=name, now=NOW)
        assert parsed, name
        assert all(not a.language for a, _ in parsed), "the feed declares no language: the test would prove nothing"
        # As a run does: the language is detected after the text is extracted from the item's HTML.
        languages = {a.language for a in detect_languages(extract([a for a, _ in parsed]))}
        assert languages == {expected}, name


@pytest.mark.slow
def test_the_benchmark_runs_on_a_tiny_corpus(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    items = "".join(
        f"<item><title>{t}</title><description>{d}</description></item>"
        for t, d in (
            ("Neue Straßenbahnlinie für den Norden der Stadt", GERMAN),
            ("Tram line to reach the north", ENGLISH),
        )
    )
    (feeds / "mixed.rss").write_text(f"<rss><channel><language>de</language>{items}</channel></rss>")
    page = tmp_path / "extraction" / "page"
    page.mkdir(parents=True)
    (page / "expected-metadata.json").write_text('{"lang": "fr", "title": "Le tramway ira jusqu\'au nord"}')
    (page / "expected.html").write_text(f"<p>{FRENCH}</p>")
    command = [sys.executable, str(ROOT / "benchmarks" / "language_quality.py"), str(tmp_path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"items=(\d+) accuracy=([\d.]+) short_accuracy=([\d.]+) ms_per_1000=(\d+)", last)
    assert match, result.stdout
    # Three items; the English one declared German (the feed's declaration) is the disagreement.
    assert match.group(1) == "3"
    assert float(match.group(2)) == pytest.approx(2 / 3, abs=0.001)
    assert "mixed.rss  de -> en" in result.stdout


def test_a_run_over_real_german_portuguese_and_english_feeds_puts_each_in_its_section(
    shared: Path, tmp_path: Path
) -> None:
    from digest import Pipeline, Services
    from digest.config import load_config
    from digest.store import open_store

    folder = shared / "bench/feeds/rss-parser-realfeeds/test/input"
    config_path = tmp_path / "digest.toml"
    config_path.write_text(
        f"""
[digest]
title = "Three languages"
window_days = 1000
max_catch_up_days = 1000
state = "state.db"

[[sources]]
path = "{folder / "heise.atom"}"

[[sources]]
path = "{folder / "uolNoticias.rss"}"

[[sources]]
path = "{folder / "guardian.rss"}"

[[sections]]
name = "Deutsch"
languages = ["de"]

[[sections]]
name = "Português"
languages = ["pt"]

[rank]
max_stories = 500
max_per_section = 500
""",
        encoding="utf-8",
    )
    config = load_config(config_path)
    now = datetime(2018, 10, 1, tzinfo=UTC)
    with open_store(tmp_path / "state.db") as store:
        week = Pipeline(config, Services(env={}), store=store).build_week(now)
    sections: dict[str, set[str]] = {}
    assert sum(len(story.articles) for story in week.digest.stories) == 15 + 15 + 55, "every item is in the digest"
    for story in week.digest.stories:
        for article in story.articles:
            sections.setdefault(article.source, set()).add(story.section)
            assert article.published != now, f"{article.title!r}: its date was not read"
    by_source = sections
    german = next(s for s in by_source if "heise" in s.casefold())
    portuguese = next(s for s in by_source if "uol" in s.casefold())
    guardian = next(s for s in by_source if "guardian" in s.casefold())
    assert by_source[german] == {"Deutsch"}
    assert by_source[portuguese] == {"Português"}
    assert by_source[guardian] == {"Top stories"}
    assert not [p for p in week.problems if "date" in p.message.casefold()]
