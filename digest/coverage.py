"""A story as every rendering tells it: its summary's attributions and its coverage by other outlets.

Every rendering shows the same thing, so it is worked out here once (:func:`telling`) and each
template only writes it in its own format (and escapes it its own way):

- **Attributions.** Each summary sentence taken from an article other than the lead credits that
  article's source after the first sentence from it; the credit is a link when the article has a
  safe URL and the story's link budget allows, else the source's name as text, so a saved article
  without a URL is still credited.
- **Outlets.** :attr:`Coverage.outlets` counts the distinct sources of the story's articles and of
  their other outlets' copies (``also_published_by``), the lead's own included: a wire story
  reprinted by 233 outlets is "covered by 233 outlets" however many links that is. Copies from an
  article's own source (:attr:`~digest.models.Article.copies`) are the same article, never coverage.
- **Other links.** The other articles, not the lead nor those a summary sentence cites (already
  linked beside it), one per source in the order the lead policy ranks them
  (:func:`~digest.cluster.lead.choose_lead`: pinned sources, originals before copies, complete
  ones first), sources not yet named first; a second round takes a second article per source, and
  so on, until :data:`OTHER_LINKS` are written or :data:`STORY_LINKS` links (headline and
  attributions included) are under the story. The rest is counted: per source ("and 4 more") and,
  for sources no line names, as a whole (:attr:`Coverage.more_outlets`).
- Grouped by source, the lead's own source first ("2 more from The Guardian"), then in rank order.

When all the coverage is from the lead's own source, :attr:`Coverage.only_own` is true and the
templates say "9 more from The Guardian" instead of naming it again on every line.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace

from .cluster.lead import LeadPolicy, choose_lead
from .models import Article, Link, Story
from .summarize.label import headline
from .textutil import safe_url

__all__ = [
    "OTHER_LINKS",
    "STORY_LINKS",
    "Attribution",
    "Coverage",
    "SourceCoverage",
    "Telling",
    "attributions",
    "coverage",
    "telling",
]

# Other articles linked under a story at most; the rest are counted.
OTHER_LINKS = 5
# Links under one story at most: the headline, the summary's attributions and the other links.
STORY_LINKS = 12


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
    """A story's coverage, source by source (see the module docstring).

    ``sources`` are the sources with a link written; ``count`` the articles of the coverage, written
    or not; ``outlets`` every source of the story, the lead's included; ``more_outlets`` the sources
    named nowhere under it (not the lead's, not credited, not in ``sources``).
    """

    sources: tuple[SourceCoverage, ...] = ()
    count: int = 0
    outlets: int = 1
    more_outlets: int = 0

    @property
    def only_own(self) -> bool:
        """Whether the story's other articles all come from the lead's own source."""
        return self.outlets == 1 and self.count > 0

    @property
    def links(self) -> int:
        return sum(len(group.links) for group in self.sources)

    def __bool__(self) -> bool:
        return self.count > 0


@dataclass(frozen=True, slots=True)
class Attribution:
    """One summary sentence and the article credited after it: ``url`` empty means credit as text."""

    text: str
    article: Article | None = None
    url: str = ""

    @property
    def source(self) -> str:
        return self.article.source if self.article else ""


@dataclass(frozen=True, slots=True)
class Telling:
    """What every rendering writes of one story beyond its headline."""

    sentences: tuple[Attribution, ...]
    coverage: Coverage

    @property
    def links(self) -> int:
        """Links under the story: its headline, linked attributions and other links."""
        return 1 + sum(1 for a in self.sentences if a.url) + self.coverage.links

    def brief(self) -> Telling:
        """The same without the list of other links, the counts kept: what a tight email sends."""
        return replace(self, coverage=replace(self.coverage, sources=(), more_outlets=0))


def attributions(story: Story, *, links: int = STORY_LINKS - 1) -> tuple[Attribution, ...]:
    """Each summary sentence with the article credited after it: the first sentence from each article
    other than the lead (whose link is the headline); linked while ``links`` last and the URL is safe."""
    by_id = {a.id: a for a in story.articles}
    credited = {story.lead.id}
    out: list[Attribution] = []
    for sentence in story.summary:
        article = by_id.get(sentence.article_id)
        if article is None or article.id in credited:
            out.append(Attribution(sentence.text))
            continue
        credited.add(article.id)
        url = safe_url(article.url) if links > 0 else ""
        links -= bool(url)
        out.append(Attribution(sentence.text, article, url))
    return tuple(out)


def _candidates(story: Story, exclude: Collection[str]) -> Iterator[tuple[Article, Link]]:
    """The coverage, each once, as an article to rank and the link to write; another outlet's copy is
    ranked as an article without text of its own (the text is the original's)."""
    seen = {story.lead.id, *exclude}
    for article in story.articles:
        if article.id not in seen:
            seen.add(article.id)
            # Headlines as the story's own is written: without the outlet's name the feed appended to it.
            yield article, Link(article.source, article.url, headline(article), article.id)
        for link in article.also_published_by:
            key = link.article_id or f"{link.source}\n{link.url}\n{link.title}"
            if key not in seen and link.article_id not in seen:
                seen.add(key)
                copy = Article(key, link.title, link.url, link.source, article.published)
                yield copy, replace(link, title=headline(copy))


def _best(articles: Sequence[Article], count: int, policy: LeadPolicy) -> list[Article]:
    """The ``count`` best of ``articles`` by the lead policy, best first, every one counting as equally central."""
    left, out = list(articles), list[Article]()
    while left and len(out) < count:
        best = choose_lead(left, [1.0] * len(left), policy)
        out.append(best)
        left.remove(best)
    return out


def _outlets(story: Story) -> set[str]:
    return {a.source for a in story.articles} | {c.source for a in story.articles for c in a.also_published_by}


def coverage(
    story: Story,
    exclude: Collection[str] = (),
    *,
    links: int = OTHER_LINKS,
    policy: LeadPolicy | None = None,
) -> Coverage:
    """The coverage of ``story`` but the articles whose ids are in ``exclude`` (those a summary cites),
    at most ``links`` of it written (see the module docstring)."""
    policy, links = policy or LeadPolicy(), max(links, 0)
    by_source: dict[str, list[Article]] = {}
    written: dict[str, Link] = {}  # by the id of the article ranked in its place, unique as _candidates gives each once
    for article, link in _candidates(story, exclude):
        by_source.setdefault(article.source, []).append(article)
        written[article.id] = link
    named = {story.lead.source} | {a.source for a in story.articles if a.id in exclude}
    # Sources in the order of their best article, those not named yet first; only as many as could get a link.
    firsts = {s: _best(items, 1, policy)[0] for s, items in by_source.items()}
    order = [
        a.source
        for fresh in (True, False)
        for a in _best([a for s, a in firsts.items() if (s not in named) is fresh], links, policy)
    ][:links]
    queues = {s: _best(by_source[s], links, policy) for s in order}
    chosen: dict[str, list[Article]] = {s: [] for s in order}
    for depth in range(links):  # one per source a round, best sources first, until the links are spent
        for source in order:
            if depth < len(queues[source]) and sum(map(len, chosen.values())) < links:
                chosen[source].append(queues[source][depth])
    shown = sorted((s for s in order if chosen[s]), key=lambda s: s != story.lead.source)
    groups = tuple(
        SourceCoverage(s, tuple(written[a.id] for a in chosen[s]), len(by_source[s]), s == story.lead.source)
        for s in shown
    )
    outlets = _outlets(story)
    count = sum(map(len, by_source.values()))
    return Coverage(groups, count, len(outlets), len(outlets - named - set(shown)))


def telling(story: Story, *, policy: LeadPolicy | None = None) -> Telling:
    """The attributions and coverage of ``story``, within :data:`STORY_LINKS` links in all."""
    sentences = attributions(story)
    cited = {a.article.id for a in sentences if a.article}
    budget = min(OTHER_LINKS, STORY_LINKS - 1 - sum(1 for a in sentences if a.url))
    return Telling(sentences, coverage(story, cited, links=budget, policy=policy))
