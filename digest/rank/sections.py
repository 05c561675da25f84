"""Which section a story goes in: the first ``[[sections]]`` rule that matches its lead article.

A rule matches when any of its criteria does: the lead's source is in ``sources``; one of its
categories (the source's category from the config or the OPML outline, or the feed's own tags)
is in ``categories`` (case-insensitive); one of ``keywords`` occurs as a whole word in its title
or text; one of ``patterns`` (regular expressions) matches its title or text; its language
(``en``, ``en-GB`` …) starts with one of ``languages``. Stories no rule takes go to
``DEFAULT_SECTION``.

Without rules, ``rank.auto_sections`` above 1 groups stories by topic instead: k-means over the
TF-IDF vectors of each story's label, keyphrases and summary, at most that many groups, each named
after its heaviest word; a story alone in its group goes to the default section.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence

from ..config import SectionRule
from ..i18n import N_
from ..models import Story
from ..tokens import content_words

__all__ = ["DEFAULT_SECTION", "assign_section", "matches", "topic_sections"]

# Marked for translation (the renderer shows it in the reader's language); N_ only marks it.
DEFAULT_SECTION = N_("Top stories")


def matches(rule: SectionRule, story: Story) -> bool:
    """Whether ``rule`` takes ``story``."""
    lead = story.lead
    categories = {c.casefold() for c in lead.categories}
    if lead.source in rule.sources or categories & {c.casefold() for c in rule.categories}:
        return True
    haystack = f"{lead.title}\n{lead.text}"
    if any(re.search(rf"\b{re.escape(k)}\b", haystack, re.I) for k in rule.keywords):
        return True
    if any(re.search(p, haystack, re.I) for p in rule.patterns):
        return True
    language = lead.language.casefold()
    return any(language == lang.casefold() or language.startswith(f"{lang.casefold()}-") for lang in rule.languages)


def assign_section(story: Story, rules: Iterable[SectionRule], default: str = DEFAULT_SECTION) -> str:
    """The name of the first rule that matches ``story``, else ``default``."""
    return next((rule.name for rule in rules if matches(rule, story)), default)


def _topic_words(doc: tuple[str, str]) -> list[str]:
    # Words of three letters or more, no digits, not stop words of the story's language: what a section is named after.
    text, language = doc
    return [w for w in content_words(text, language) if len(w) > 2 and w.isalpha()]


def topic_sections(stories: Sequence[Story], *, count: int, random_state: int = 0) -> dict[str, str]:
    """Story id → topic section name, for stories that share a topic with at least one other."""
    groups = min(count, len(stories) // 2)
    if groups < 2:
        return {}
    # Here, not at the top: rendering reads DEFAULT_SECTION from this module and must not load scikit-learn.
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [(" ".join([s.label, *s.keyphrases, *(x.text for x in s.summary)]), s.lead.language) for s in stories]
    vectorizer = TfidfVectorizer(analyzer=_topic_words, sublinear_tf=True)
    try:
        vectors = vectorizer.fit_transform(docs)
    except ValueError:  # no words to group by
        return {}
    with warnings.catch_warnings():
        # Identical stories make fewer distinct groups than asked for; fewer sections is the right answer.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = KMeans(n_clusters=groups, n_init=10, random_state=random_state).fit(vectors)
    terms = vectorizer.get_feature_names_out()
    names: dict[int, str] = {}
    for label in range(groups):
        ranked = np.argsort(-model.cluster_centers_[label], kind="stable")
        names[label] = next(
            (str(terms[i]).capitalize() for i in ranked if str(terms[i]).capitalize() not in names.values()),
            f"Topic {label + 1}",
        )
    sizes = np.bincount(model.labels_, minlength=groups)
    return {s.id: names[int(lab)] for s, lab in zip(stories, model.labels_, strict=True) if sizes[lab] > 1}
