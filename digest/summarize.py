"""Stage 5: label each story and summarize it from its own text.

The default summary is extractive: the lead article's opening sentences, each keeping a citation
to the article it came from, so every sentence a reader sees is one a source actually wrote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from .models import Story, SummarySentence

__all__ = ["clean_title", "split_sentences", "summarize"]

# Words after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "no",
        "vs",
        "etc",
        "inc",
        "ltd",
        "co",
        "corp",
        "gen",
        "gov",
        "sen",
        "rep",
        "rev",
        "col",
        "lt",
        "sgt",
        "capt",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "u.s",
        "u.k",
        "e.g",
        "i.e",
        "a.m",
        "p.m",
    ]
)
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_SITE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{2,40}$")


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``; abbreviations, initials and decimals do not end a sentence."""
    sentences: list[str] = []
    for paragraph in text.splitlines():
        start = 0
        for match in _BOUNDARY.finditer(paragraph):
            candidate = paragraph[start : match.start()].rstrip()
            last_word = candidate.rsplit(None, 1)[-1].rstrip(".").lower() if candidate else ""
            if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
                continue
            sentences.append(paragraph[start : match.end()].strip())
            start = match.end()
        tail = paragraph[start:].strip()
        if tail:
            sentences.append(tail)
    return sentences


def clean_title(title: str) -> str:
    """The title without a trailing " | Site Name" or " - Site" suffix."""
    cleaned = _SITE_SUFFIX.sub("", title).strip()
    return cleaned or title.strip()


def summarize(stories: Iterable[Story], *, sentences: int) -> tuple[Story, ...]:
    """Each story with a label and a summary of up to ``sentences`` lead sentences."""
    out = []
    for story in stories:
        lead = story.lead
        picked = [s for s in split_sentences(lead.text) if s != lead.title][:sentences]
        summary = tuple(SummarySentence(text=s, article_id=lead.id) for s in picked)
        out.append(replace(story, label=clean_title(lead.title), summary=summary))
    return tuple(out)
