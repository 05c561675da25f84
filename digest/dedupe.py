"""Stage 3: drop what readers already got and collapse copies of the same article.

Exact duplicates share a stable id (the same article in two feeds); near-duplicates are wire
copies republished with small edits, found by the Jaccard similarity of their word shingles.
The copy kept is the earliest; the others become its "also published by" links.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Set
from dataclasses import replace

from .models import Article, Link

__all__ = ["drop_seen", "near_duplicates", "shingles"]

_WORD = re.compile(r"\w+", re.UNICODE)


def drop_seen(articles: Iterable[Article], seen: Set[str]) -> tuple[Article, ...]:
    """Articles not already delivered, with exact duplicates within the week removed."""
    kept: dict[str, Article] = {}
    for article in articles:
        if article.id in seen:
            continue
        if article.id not in kept or article.published < kept[article.id].published:
            kept[article.id] = article
    return tuple(kept.values())


def shingles(text: str, size: int = 3) -> frozenset[str]:
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


def near_duplicates(articles: Iterable[Article], *, threshold: float) -> tuple[Article, ...]:
    """Collapse articles whose shingle sets overlap at least ``threshold`` (Jaccard)."""
    ordered = sorted(articles, key=lambda a: (a.published, a.id))
    groups: list[tuple[Article, frozenset[str], list[Article]]] = []
    for article in ordered:
        sig = shingles(f"{article.title}\n{article.text}")
        for _kept, kept_sig, copies in groups:
            if sig and kept_sig and len(sig & kept_sig) / len(sig | kept_sig) >= threshold:
                copies.append(article)
                break
        else:
            groups.append((article, sig, []))
    result = []
    for kept, _, copies in groups:
        links = tuple(Link(c.source, c.url, c.title, c.id) for c in copies)
        result.append(replace(kept, also_published_by=kept.also_published_by + links) if links else kept)
    return tuple(result)
