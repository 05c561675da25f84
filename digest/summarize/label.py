"""What a story is called: a short headline and a few keyphrases.

The headline is the lead article's title without the outlet name that feeds append to it
(" | Site Name", " - Site"). As news aggregators do, a suffix is dropped only when it names the
article's own outlet: its source name, its feed's or page's web host, or its author (opinion
columns sign their titles). "Lindsay Lohan - I had a miscarriage" keeps both halves. An article
without a title is headed by its first sentence, whole. Keyphrases are the story's
highest-weighted words and word pairs by TF-IDF across the week's stories, so they say what sets
this story apart from the others.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

import numpy as np

from ..models import Article, Story, SummarySentence
from ..tokens import content_words, is_unspaced
from .sentences import DEFAULT_LANGUAGE, split_sentences

__all__ = ["clean_title", "has_title", "headline", "keyphrases", "outlet_names", "story_label"]

# " | ", " - ", " – " or " — ": what feeds and aggregators put between a headline and the outlet's name.
_SEPARATOR = re.compile(r"\s+[|–—-]\s+")
# Outlet suffixes run to a few words ("WNCN: News, Weather for ..."); a longer one is the headline's own.
_SUFFIX_WORDS = 6
_TRUNCATED = re.compile(r"\s*(?:\.{3}|…)$")
# Parts of a web host that name no outlet.
_HOST_NOISE = re.compile(r"^(?:www\d?|m|amp|mobile|feeds?|rss)\.|\.[a-z]{2,3}(?:\.[a-z]{2})?$")
# A name this short ("AP", "UN") matches only in full: as a prefix it would match too much.
_SHORTEST_PREFIX = 3
_UNTITLED = ("", "(untitled)")
# A story's document for keyphrases: the titles of its first articles and the lead's opening.
_TITLES = 20
_TEXT_CHARS = 1500


def _key(name: str) -> str:
    """A name as outlets are compared: letters and digits only, case-folded ("The Guardian" → "theguardian")."""
    return "".join(c for c in name.casefold() if c.isalnum())


def outlet_names(article: Article) -> tuple[str, ...]:
    """What the article's outlet may be called at the end of its title: source, web hosts, author."""
    hosts = []
    for url in (article.url, article.feed_url):
        host = urlsplit(url).hostname or "" if "://" in url else ""
        previous = None
        while host != previous:  # "www.theguardian.co.uk" → "theguardian"
            previous, host = host, _HOST_NOISE.sub("", host)
        hosts.append(host)
    return tuple(dict.fromkeys(n for n in (article.source, *hosts, article.author) if _key(n)))


def _names_outlet(suffix: str, outlets: Iterable[str]) -> bool:
    """Whether ``suffix`` is one of ``outlets``, starts with one ("WNCN: News…") or starts one ("The  ...")."""
    said = _key(_TRUNCATED.sub("", suffix))
    for name in map(_key, outlets):
        if said == name or (
            min(len(said), len(name)) >= _SHORTEST_PREFIX and (said.startswith(name) or name.startswith(said))
        ):
            return bool(said)
    return False


def clean_title(title: str, outlets: Iterable[str] = ()) -> str:
    """The title without trailing names of its outlet after " | ", " – ", " — " or " - ".

    Only a suffix that names one of ``outlets`` goes (see :func:`outlet_names`); every other part
    of the title is the headline's own text and stays.
    """
    title = " ".join(title.split())
    outlets = tuple(outlets)
    # The first separator that the outlet's name follows: "… - Live5News.com | Charleston ..." loses both.
    for match in _SEPARATOR.finditer(title):
        suffix = title[match.end() :]
        if match.start() and len(suffix.split()) <= _SUFFIX_WORDS and _names_outlet(suffix, outlets):
            return title[: match.start()]
    return title


def has_title(article: Article) -> bool:
    """Whether the article came with a title of its own."""
    return article.title.strip() not in _UNTITLED


def headline(article: Article) -> str:
    """The article's title without its outlet's name; without a title, its first sentence, whole."""
    if has_title(article):
        return clean_title(article.title, outlet_names(article))
    sentences = split_sentences(article.text, article.language or DEFAULT_LANGUAGE)
    return sentences[0] if sentences else article.title.strip()


def story_label(story: Story, summary: Sequence[SummarySentence] = ()) -> str:
    """The cleaned title of the first article that has one; else the lead's first sentence.

    The summarizer never picks an untitled article's first sentence, so the label is not said twice.
    """
    for article in story.articles:
        if has_title(article):
            return headline(article)
    return headline(story.lead) or (summary[0].text if summary else "")


def keyphrases(stories: Sequence[Story], *, count: int) -> dict[str, tuple[str, ...]]:
    """Up to ``count`` keyphrases per story id, most characteristic first, no word repeated."""
    if count <= 0 or not stories:
        return {story.id: () for story in stories}
    docs = [_document(story) for story in stories]
    from sklearn.feature_extraction.text import TfidfVectorizer  # here: rendering imports this module

    vectorizer = TfidfVectorizer(analyzer=_phrases, sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform(docs).tocsr()
    except ValueError:  # no story has a single word that is not a stop word
        return {story.id: () for story in stories}
    terms = vectorizer.get_feature_names_out()
    out: dict[str, tuple[str, ...]] = {}
    for row, story in enumerate(stories):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        indices, weights = matrix.indices[start:end], matrix.data[start:end]
        ranked = [str(terms[indices[i]]) for i in np.lexsort((indices, -weights))]
        out[story.id] = _distinct(ranked, count)
    return out


def _document(story: Story) -> tuple[str, str]:
    titles = " . ".join(a.title for a in story.articles[:_TITLES])
    return f"{titles} . {titles} . {story.lead.text[:_TEXT_CHARS]}", story.lead.language


def _phrases(doc: tuple[str, str]) -> list[str]:
    """Words (not stop words of the story's language, not numbers) and pairs of words next to each other."""
    text, language = doc
    found = [w for w in content_words(text, language) if not w[0].isdigit() and (len(w) > 1 or is_unspaced(w))]
    return found + [f"{a} {b}" for a, b in itertools.pairwise(found)]


def _distinct(ranked: Sequence[str], count: int) -> tuple[str, ...]:
    chosen: list[str] = []
    used: set[str] = set()
    for term in ranked:
        words = set(term.split())
        if words & used:
            continue
        chosen.append(term)
        used |= words
        if len(chosen) == count:
            break
    return tuple(chosen)
