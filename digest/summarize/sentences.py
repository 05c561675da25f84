"""Sentences of extracted article text, split by sentencex.

sentencex (Wikimedia's rule-based segmenter) knows the abbreviations, sentence starters and
terminators of some 300 languages, with fallbacks between them (an unknown code falls back to
English): ``Dr.``, ``U.S.``, ``e.g.``, initials and decimals do not end a sentence, ``?``/``¡¿``,
``« »`` and ``。`` are understood. Measured against pysbd, syntok and nupunkt on the splitter tests,
``benchmarks/summary_quality.py`` and ``benchmarks/summary_speed.py``, it was the only one to pass
every case of ``tests/test_sentences.py`` and the fastest (4x the former rules, 400x pysbd).
A quotation of several sentences stays one, as sentencex keeps quoted speech whole.

Line breaks always end a sentence: extracted text keeps one paragraph a line. sentencex keeps a
quotation whose quote marks it cannot pair with the sentence after it, leaving that sentence to
open with the closing mark (``'" Mr Letwin said…'``), or ends a sentence with the opening mark of
the next; each mark is handed to the sentence it belongs to.
"""

from __future__ import annotations

import re

import sentencex

__all__ = ["DEFAULT_LANGUAGE", "split_sentences"]

DEFAULT_LANGUAGE = "en"
# Closing quote marks standing alone at the start of a sentence: they close the sentence before.
_DANGLING = re.compile(r"[\"”’»」』]+(?=\s|$)")
# Opening quote marks standing alone at the end of one: they open the sentence after.
_OPENING = re.compile(r"\s+([\"“„«「『]+)$")


def split_sentences(text: str, language: str = DEFAULT_LANGUAGE) -> list[str]:
    """The sentences of ``text``, in order, stripped; empty lines give none.

    ``language`` is a BCP 47 tag or ISO 639 code (``"en"``, ``"pt-BR"``); its rules decide which
    full stops end a sentence.
    """
    code = language.split("-", 1)[0].split("_", 1)[0].lower() or DEFAULT_LANGUAGE
    sentences: list[str] = []
    for paragraph in text.splitlines():
        if not paragraph.strip():
            continue
        first, carried = len(sentences), ""
        for piece in sentencex.segment(code, paragraph):
            sentence = carried + piece.strip()
            opening = _OPENING.search(sentence)
            carried = opening.group(1) if opening else ""
            if opening:
                sentence = sentence[: opening.start()]
            dangling = _DANGLING.match(sentence)
            if dangling and len(sentences) > first:
                sentences[-1] += dangling.group(0)
                sentence = sentence[dangling.end() :].strip()
            if sentence:
                sentences.append(sentence)
        if carried:
            sentences.append(carried)
    return sentences
