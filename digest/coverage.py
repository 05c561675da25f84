"""A story's coverage as readers expect it: the other articles' headlines, grouped by source.

Every rendering shows the same thing, so it is worked out here once and each template only writes
it in its own format (and escapes it its own way):

- the other articles of the story and the other outlets' copies of each (``also_published_by``),
  each once; copies from the story's own sources (:attr:`~digest.models.Article.copies`) are the
  same articles, never coverage;
- grouped by source: the lead's own source first ("2 more from The Guardian"), then the sources
  with the most articles, then in story order; each group's headlines in story order;
- at most ``per_source`` headlines of one source are written, the rest counted ("and 4 more"), so
  an agency's forty updates cannot push the next stories out of the email.

When all the coverage is from the lead's own source, :attr:`Coverage.only_own` is true and the
templates say "9 more from The Guardian" instead of naming it again on every line.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass

from .models import Link, Story

__all__ = ["PER_SOURCE", "Coverage", "SourceCoverage", "coverage"]

PER_SOURCE = 5


@dataclass(frozen=True, slots=True)
class SourceCoverage:
    """One source's articles in a story's coverage: ``links`` written, ``count`` in all."""

    source: str
    links: tuple[Link, ...]
    count: int
    own: bool

    @property
    def hidden(self) -> int:
        """How many of this source's articles are counted but not written."""
        return self.count - len(self.links)


@dataclass(frozen=True, slots=True)
class Coverage:
    """A story's coverage, source by source (see the module docstring)."""

    sources: tuple[SourceCoverage, ...] = ()

    @property
    def count(self) -> int:
        return sum(group.count for group in self.sources)

    @property
    def only_own(self) -> bool:
        """Whether every article of the coverage comes from the lead's own source."""
        return len(self.sources) == 1 and self.sources[0].own

    def __bool__(self) -> bool:
        return bool(self.sources)


def _entries(story: Story) -> Iterator[Link]:
    for article in story.articles:
        if article.id != story.lead.id:
            yield Link(article.source, article.url, article.title, article.id)
        yield from article.also_published_by


def coverage(story: Story, exclude: Collection[str] = (), *, per_source: int = PER_SOURCE) -> Coverage:
    """The coverage of ``story`` but the articles whose ids are in ``exclude`` (say, those a summary cites)."""
    seen = {story.lead.id, *exclude}
    by_source: dict[str, list[Link]] = {}
    for link in _entries(story):
        key = link.article_id or f"{link.source}\n{link.url}\n{link.title}"
        if key in seen or link.article_id in seen:
            continue
        seen.add(key)
        by_source.setdefault(link.source, []).append(link)
    order = {source: n for n, source in enumerate(by_source)}
    ranked = sorted(by_source, key=lambda s: (s != story.lead.source, -len(by_source[s]), order[s]))
    return Coverage(
        tuple(
            SourceCoverage(s, tuple(by_source[s][: max(per_source, 0)]), len(by_source[s]), s == story.lead.source)
            for s in ranked
        )
    )
