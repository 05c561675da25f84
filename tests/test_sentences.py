"""The sentence splitter: abbreviations, initials, quotes, numbers and URLs do not cut a sentence."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.summarize.extractive import text_words
from digest.summarize.furniture import is_dangling
from digest.summarize.sentences import split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith met Dr. Jones on Jan. 5 in St. Louis. They talked.",
            ["Mr. Smith met Dr. Jones on Jan. 5 in St. Louis.", "They talked."],
        ),
        (
            "Shares rose 2.5% to $1.13bn. Profit was 3.0 times higher.",
            ["Shares rose 2.5% to $1.13bn.", "Profit was 3.0 times higher."],
        ),
        (
            '"We are strong," he said. "Next year is better." Then he left.',
            ['"We are strong," he said.', '"Next year is better."', "Then he left."],
        ),
        ("“Is it over?” she asked. “Not yet.” It was not.", ["“Is it over?” she asked.", "“Not yet.”", "It was not."]),
        (
            "See https://example.org/a.b?c=1.2 for more. Mail news@example.co.uk today.",
            ["See https://example.org/a.b?c=1.2 for more.", "Mail news@example.co.uk today."],
        ),
        (
            "The U.S. Navy sailed. It reached the U.S. The crew cheered.",
            ["The U.S. Navy sailed.", "It reached the U.S.", "The crew cheered."],
        ),
        ("J. R. R. Tolkien wrote it. Fans agreed.", ["J. R. R. Tolkien wrote it.", "Fans agreed."]),
        (
            "Acme Inc. said sales rose. Rivals, e.g. Widget Ltd. Corp, did not.",
            ["Acme Inc. said sales rose.", "Rivals, e.g. Widget Ltd. Corp, did not."],
        ),
        (
            "It costs 5 p.m. prices... Really? Yes! 2026 was good.",
            ["It costs 5 p.m. prices...", "Really?", "Yes!", "2026 was good."],
        ),
        ("no capital. after this stop\nA new paragraph", ["no capital.", "after this stop", "A new paragraph"]),
        ("She said no. Then she left.", ["She said no.", "Then she left."]),
        ("The vote was no. Then the hall emptied.", ["The vote was no.", "Then the hall emptied."]),
        ("They voted on art. 5 of the treaty. It passed.", ["They voted on art. 5 of the treaty.", "It passed."]),
        ("She loves modern art. The gallery agreed.", ["She loves modern art.", "The gallery agreed."]),
        ("Beethoven's op. 27 was played. It was long.", ["Beethoven's op. 27 was played.", "It was long."]),
        ("He had a photo op. The cameras came.", ["He had a photo op.", "The cameras came."]),
        ("The firm (est. 1901) closed. Staff left.", ["The firm (est. 1901) closed.", "Staff left."]),
        ("Such stories are the best. The rest are not.", ["Such stories are the best.", "The rest are not."]),
        ("It opened on 5 Mar. 2024 in Leeds. Crowds came.", ["It opened on 5 Mar. 2024 in Leeds.", "Crowds came."]),
        ("Do not mar. The paint is wet.", ["Do not mar.", "The paint is wet."]),
        ("Take fruit, e.g. apples. Then rest.", ["Take fruit, e.g. apples.", "Then rest."]),
        ("The rate rose to 3.5 per cent. It fell later.", ["The rate rose to 3.5 per cent.", "It fell later."]),
        ("“We won,” she said. The crowd cheered.", ["“We won,” she said.", "The crowd cheered."]),
        ("No. 10 said nothing. It was late.", ["No. 10 said nothing.", "It was late."]),
        # A quotation of several sentences is kept whole: no part of it is quoted without its speaker.
        (
            '"Our assets were seized. We want them back," he said. Talks resume today.',
            ['"Our assets were seized. We want them back," he said.', "Talks resume today."],
        ),
        # A quotation whose marks do not pair up (a quote running on from the paragraph before):
        # each mark stays with the sentence it opens or closes.
        (
            'He added: "The market is uncertain. "It is widely accepted." Mr Ian agreed.',
            ['He added: "The market is uncertain.', '"It is widely accepted."', "Mr Ian agreed."],
        ),
        ("", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("es", "¿Dónde está? No lo sé. ¡Qué pena!", ["¿Dónde está?", "No lo sé.", "¡Qué pena!"]),
        ("es-ES", "El Sr. García llegó. Luego se fue.", ["El Sr. García llegó.", "Luego se fue."]),
        ("fr", "« Je pars », dit-elle. Il resta.", ["« Je pars », dit-elle.", "Il resta."]),
        ("fr", "Il a dit « non. » Puis il est parti.", ["Il a dit « non. »", "Puis il est parti."]),
        ("zh", "今天下雨了。我们没有出去。", ["今天下雨了。", "我们没有出去。"]),
        ("ja", "今日は雨です。出かけません。", ["今日は雨です。", "出かけません。"]),
        ("en", "今天下雨了。我们没有出去。", ["今天下雨了。", "我们没有出去。"]),
        ("de", "Am 3. Oktober wurde gefeiert. Alle kamen.", ["Am 3. Oktober wurde gefeiert.", "Alle kamen."]),
        # An unknown or empty code falls back to English rules rather than failing.
        ("xx", "Dr. Jones came. He left.", ["Dr. Jones came.", "He left."]),
        ("", "Dr. Jones came. He left.", ["Dr. Jones came.", "He left."]),
    ],
)
def test_split_sentences_by_language(language: str, text: str, expected: list[str]) -> None:
    assert split_sentences(text, language) == expected


@given(st.text(alphabet=st.sampled_from(list("ab .?!\"'”“«»。¿(\n3U.S")), max_size=80))
def test_splitting_loses_no_text(text: str) -> None:
    joined = "".join("".join(s.split()) for s in split_sentences(text))
    assert joined == "".join(text.split())


@pytest.mark.parametrize(
    ("language", "text", "words"),
    [
        ("en", "The ferry runs every ten minutes.", 6),
        # Written without spaces: two characters to a word, whatever the language tag says.
        ("zh", "新船每十分钟一班。", 5),
        ("", "新船每十分钟一班。", 5),
        ("ja", "新しい船は十分ごとに出ます。", 7),
        ("en", "GPT-5 发布了", 3),
    ],
)
def test_sentence_length_in_words(language: str, text: str, words: int) -> None:
    assert text_words(text, language) == words


@pytest.mark.parametrize(
    ("language", "text", "dangling"),
    [
        ("en", "But the unions want more crew.", True),
        ("en", "He said the route would open in March.", True),
        ("en", "This week the ferry goes electric.", False),
        ("en", "The ferry goes electric.", False),
        ("de", "Aber die Gewerkschaft will mehr Personal.", True),
        ("de", "Diese Woche fährt die Fähre elektrisch.", False),
        ("fr", "Mais le syndicat veut plus d'équipage.", True),
        ("es", "Sin embargo, el sindicato quiere más tripulación.", True),
        ("es", "Esta semana el ferry pasa a ser eléctrico.", False),
        ("pt", "Mas o sindicato quer mais tripulação.", True),
        ("xx", "However, the unions want more crew.", True),
    ],
)
def test_a_sentence_that_refers_back_is_dangling(language: str, text: str, dangling: bool) -> None:
    assert is_dangling(text, language) is dangling
