"""Each article's language: the one its feed declares when the text agrees, else the one its text is in.

Feeds declare a language for the whole feed (``<language>``, ``xml:lang``, JSON Feed ``language``) and
are often wrong or silent: a German blog with no declaration, a Portuguese portal with an empty
``<language>``, an English feed left at its CMS's ``kn``. Saved articles declare nothing. So the
declaration is kept only while it is plausible, and the text decides otherwise.

A feed that declares nothing is still written in one language as a rule, and a headline alone is
little to go by: about one English headline in sixty reads as French, German or Portuguese to any
model. So the articles of one undeclared feed vote first, and a clear majority
(:data:`FEED_MAJORITY` of at least :data:`FEED_VOTES` telling detections) stands for the feed as
if it had declared it: a headline cannot overrule it, a long text in another language still does.

Detection uses py3langid (a maintained fork of langid.py): a naive Bayes model over byte n-grams that
ships inside the wheel, needs only numpy, and classifies a headline in about 0.1 ms. Its 97 languages
include many that a headline is easily mistaken for (Aragonese, Bikol, Latin for short English
titles); restricting it to :data:`DEFAULT_CANDIDATES`, the languages news feeds are written in,
is what makes short titles reliable (see ``benchmarks/language_quality.py``).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace

from .models import Article

__all__ = ["DEFAULT_CANDIDATES", "LanguageDetector", "detect_languages", "primary_subtag"]

# The languages a detected language is chosen among: the most used on the web and in news feeds.
# A declared language outside this list is still kept when the text does not contradict it.
DEFAULT_CANDIDATES: tuple[str, ...] = (
    "ar", "bg", "ca", "cs", "da", "de", "el", "en", "es", "et", "fa", "fi", "fr", "he", "hi", "hr", "hu",
    "id", "it", "ja", "ko", "lt", "lv", "nl", "no", "pl", "pt", "ro", "ru", "sk", "sl", "sr", "sv", "th",
    "tr", "uk", "vi", "zh",
)  # fmt: skip

# The model's probabilities are calibrated for length, so a headline's best language is often at 0.1
# and still right. What marks text that says nothing (a version number, a name) is a best language
# barely above the others: below this many times the uniform share, the detector abstains.
MIN_LEAD_OVER_UNIFORM = 3.0
# A declaration is overruled only by text long enough to be sure of, and a confident detection.
OVERRULE_MIN_CHARS = 200
OVERRULE_CONFIDENCE = 0.95
# A feed's undeclared articles speak for it when this many are told apart and this share agree.
FEED_VOTES = 3
FEED_MAJORITY = 2 / 3
# Enough text to be sure of a language; more only costs time (the model reads every byte in Python:
# on the bench corpora 250 characters are as accurate as 2,000, at an eighth of the time).
MAX_CHARS = 250

_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
_LETTER = re.compile(r"[^\W\d_]")


def primary_subtag(tag: str) -> str:
    """``en`` of ``en-US`` / ``en_us``; "" for what is not a language tag at all."""
    tag = tag.strip()
    if not _TAG.match(tag):
        return ""
    return tag.replace("_", "-").split("-", 1)[0].casefold()


@functools.lru_cache(maxsize=4)
def _identifier(candidates: tuple[str, ...]) -> object:
    # Imported here: loading the model takes a moment, and most commands never detect anything.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    known = set(identifier.labels)
    identifier.set_languages([c for c in candidates if c in known])
    return identifier


class LanguageDetector:
    """Detects the language of a text among ``candidates`` (ISO 639-1 codes).

    Parameters are stored as given; the model is loaded on first use and shared between detectors
    with the same candidates.
    """

    def __init__(
        self, candidates: tuple[str, ...] = DEFAULT_CANDIDATES, min_lead_over_uniform: float = MIN_LEAD_OVER_UNIFORM
    ):
        self.candidates = candidates
        self.min_lead_over_uniform = min_lead_over_uniform

    def rank(self, text: str) -> list[tuple[str, float]]:
        """Every candidate with its probability, best first; empty for text with no letters."""
        text = text[:MAX_CHARS]
        if not _LETTER.search(text):
            return []
        ranked: list[tuple[str, float]] = _identifier(self.candidates).rank(text)  # type: ignore[attr-defined]
        return ranked

    def detect(self, text: str) -> str:
        """The text's language, or "" when it cannot be told."""
        ranked = self.rank(text)
        return ranked[0][0] if ranked and self._telling(ranked) else ""

    def _telling(self, ranked: list[tuple[str, float]]) -> bool:
        return ranked[0][1] >= self.min_lead_over_uniform / len(ranked)

    def resolve(self, declared: str, text: str) -> str:
        """The declared language while the text does not clearly say otherwise, else the detected one.

        A declaration is kept whole (``en-GB``): section rules match on it. Short text never
        overrules one, since a headline is too little to contradict its publisher.
        """
        primary = primary_subtag(declared)
        if primary and len(text) < OVERRULE_MIN_CHARS:
            # Nothing this short can overrule a declaration, so the model need not read it: most
            # feeds declare a language and carry headlines, and this is most of their articles.
            return declared.strip()
        ranked = self.rank(text)
        if not ranked:
            return declared.strip() if primary else ""
        best, confidence = ranked[0]
        if not primary:
            return best if self._telling(ranked) else ""
        if best == primary or confidence < OVERRULE_CONFIDENCE:
            return declared.strip()
        return best


def detect_languages(articles: Iterable[Article], *, detector: LanguageDetector | None = None) -> tuple[Article, ...]:
    """Give each article its language: declared and plausible, else its feed's, else detected from title and text."""
    detector = detector or LanguageDetector()
    articles = tuple(articles)
    # Undeclared articles are detected once: their detections are both the feed's votes and, where
    # no majority stands for the feed, their own languages.
    detected = [detector.detect(_sample(a)) if not primary_subtag(a.language) else "" for a in articles]
    feeds = _feed_languages(articles, detected)
    resolved = []
    for article, found in zip(articles, detected, strict=True):
        declared = article.language if primary_subtag(article.language) else feeds.get(article.feed_url, "")
        language = detector.resolve(declared, _sample(article)) if declared else found
        resolved.append(article if language == article.language else replace(article, language=language))
    return tuple(resolved)


def _sample(article: Article) -> str:
    return f"{article.title}\n{article.text}"


def _feed_languages(articles: tuple[Article, ...], detected: list[str]) -> dict[str, str]:
    """The language each undeclared feed's articles agree on (see the module docstring)."""
    votes: dict[str, Counter[str]] = {}
    for article, found in zip(articles, detected, strict=True):
        if article.feed_url and found:
            votes.setdefault(article.feed_url, Counter())[found] += 1
    majorities = {}
    for feed, counts in votes.items():
        language, count = counts.most_common(1)[0]
        total = counts.total()
        if total >= FEED_VOTES and count >= FEED_MAJORITY * total:
            majorities[feed] = language
    return majorities
