"""One tokenizer for every stage that compares texts, with stop words per language."""

from __future__ import annotations

from datetime import UTC, datetime

from digest import tokens
from digest.models import Article, Story
from digest.rank.memory import signature
from digest.summarize.label import keyphrases

NOW = datetime(2026, 3, 13, tzinfo=UTC)


def test_words_keep_accents_apostrophes_and_hyphens_whole() -> None:
    assert tokens.words("Die Bürgermeisterin sagt: l'été, COVID-19, don’t") == [
        "die", "bürgermeisterin", "sagt", "l'été", "covid-19", "don't",
    ]  # fmt: skip


def test_chinese_and_japanese_become_character_pairs() -> None:
    assert tokens.words("東京で地震") == ["東京", "京で", "で地", "地震"]
    assert tokens.words("Tokyo 地震 news") == ["tokyo", "地震", "news"]


def test_each_language_drops_its_own_stop_words() -> None:
    assert tokens.content_words("Die Stadt hat die Brücke und den Tunnel eröffnet", "de") == [
        "stadt", "brücke", "tunnel", "eröffnet",
    ]  # fmt: skip
    # stopwords-iso's French list counts "ouvert" among its stop words.
    assert tokens.content_words("Le maire a ouvert le pont et le tunnel", "fr-CA") == ["maire", "pont", "tunnel"]
    # Without a language, English is assumed, as before languages were known.
    assert tokens.content_words("The mayor opened the bridge") == ["mayor", "opened", "bridge"]


def test_a_language_without_a_list_drops_nothing() -> None:
    assert tokens.stop_words("tlh") == frozenset()
    assert tokens.content_words("Qapla batlh", "tlh") == ["qapla", "batlh"]


def _story(title: str, text: str, language: str) -> Story:
    article = Article(id=title, title=title, url="", source="s", published=NOW, text=text, language=language)
    return Story(id=title, label=title, lead=article, articles=(article,))


def test_keyphrases_and_story_memory_of_a_german_story_are_not_its_stop_words() -> None:
    story = _story(
        "Die Stadt eröffnet die neue Brücke über den Fluss",
        "Die neue Brücke über den Fluss wurde am Montag von der Stadt eröffnet. Die Brücke ist die längste.",
        "de",
    )
    other = _story("Der Hafen baut ein neues Terminal", "Der Hafen baut ein neues Terminal für Fähren.", "de")
    phrases = keyphrases([story, other], count=3)[story.id]
    assert phrases and not {"die", "der", "den", "über"} & {w for p in phrases for w in p.split()}
    words = [w for w, _ in signature(story)]
    assert "brücke" in words and not {"die", "der", "den", "über", "von"} & set(words)


def test_joiners_stay_inside_words_only_before_a_letter() -> None:
    assert tokens.words("rock'n'roll x-ray x--y end- a'中 u_v 'quoted'") == [
        "rock'n'roll", "x-ray", "x", "y", "end", "a'", "中", "u", "v", "quoted",
    ]  # fmt: skip
