"""Words as every stage that compares texts counts them: one tokenizer, and stop words per language.

A word is a run of letters (with digits, and apostrophes or hyphens inside: ``don't``, ``covid-19``,
``Bürgermeisterin``), case-folded, so German, Portuguese or Polish words are words, not fragments
cut at every accent. Chinese and Japanese are written without spaces: a run of their characters
becomes its overlapping character pairs (bigrams), the usual unit of comparison for those scripts,
so two texts on the same story share terms where whole runs would never match.

Stop words come from stopwords-iso (the ``stopwordsiso`` package, some fifty languages) except for
English, which keeps scikit-learn's list: the clustering, summary and memory defaults were measured
with it, and stopwords-iso's English list (1,300 words, "act", "added", "adopted") removes words that
tell stories apart.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

__all__ = ["content_words", "is_unspaced", "primary_language", "stop_words", "words"]

# Han, Hiragana, Katakana (and their extensions and compatibility forms): scripts written without spaces.
_UNSPACED = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
# A word is a letter, then letters, each apostrophe or hyphen that a letter follows opening another run:
# the same tokens as "a letter, then letters or such joiners", written as runs so that the regex engine
# loops over a character class instead of trying two branches per character (a third less time).
_TOKEN = re.compile(rf"[{_UNSPACED}]+|[^\W_{_UNSPACED}]+(?:['’-](?=[^\W_])[^\W_{_UNSPACED}]*)*")
_CJK = re.compile(rf"[{_UNSPACED}]")


def primary_language(tag: str) -> str:
    """``pt`` of ``pt-BR``; "" for no tag."""
    return tag.strip().replace("_", "-").split("-", 1)[0].casefold()


def words(text: str) -> list[str]:
    """The words of ``text``, case-folded; runs of Chinese or Japanese characters as character bigrams."""
    tokens: list[str] = _TOKEN.findall(text.casefold().replace("’", "'"))
    if not _CJK.search(text):  # the common case, kept to one regex pass: dedupe counts every word of a week
        return tokens
    found: list[str] = []
    for token in tokens:
        if _CJK.match(token):
            found.extend(token[i : i + 2] for i in range(max(1, len(token) - 1)))
        else:
            found.append(token)
    return found


def is_unspaced(word: str) -> bool:
    """Whether ``word`` is a character pair of a script written without spaces (Chinese, Japanese)."""
    return bool(_CJK.match(word))


@functools.cache
def stop_words(language: str) -> frozenset[str]:
    """Stop words of a language tag (``en``, ``de-AT``); English's for "" (no language known)."""
    primary = primary_language(language) or "en"
    if primary == "en":
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        return frozenset(ENGLISH_STOP_WORDS)
    import stopwordsiso

    if not stopwordsiso.has_lang(primary):
        return frozenset()
    return frozenset(w.casefold() for w in stopwordsiso.stopwords(primary))


def content_words(text: str, language: str = "", *, also: Iterable[str] = ()) -> list[str]:
    """The words of ``text`` that are not stop words of its language (nor of the ``also`` languages)."""
    stop = stop_words(language).union(*(stop_words(other) for other in also))
    return [w for w in words(text) if w not in stop and (len(w) > 1 or _CJK.match(w))]
