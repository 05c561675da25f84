"""The data that flows through the pipeline.

Every stage takes and returns these frozen, slotted dataclasses; collections are tuples so a value
can be hashed, compared and shared between stages without anyone mutating it behind another's back.
Raw parser output (feedparser dicts, HTML trees) never leaves the stage that produced it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = [
    "Article",
    "Brief",
    "BriefSentence",
    "CachedResponse",
    "Digest",
    "FeedState",
    "Link",
    "Problem",
    "RankedStory",
    "RunReport",
    "RunStatus",
    "Section",
    "Story",
    "StoryMemory",
    "SummarySentence",
]


# The least share of a story's articles a language other than its lead's must hold to be named with it.
LANGUAGE_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class Link:
    """A pointer to another copy or another outlet's coverage of a story.

    ``copy_ids`` are the ids of the linked article's own copies (:attr:`Article.copies`), so they are
    marked seen with it even when the article itself is only a link.
    """

    source: str
    url: str
    title: str = ""
    article_id: str = ""
    copy_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Article:
    """One article, normalized from whatever source it came from.

    ``id`` is stable across runs: the feed's GUID scoped to the feed, else the URL's identity key,
    else a content hash. ``aliases`` are the ids earlier versions gave the same article, by which a
    state store they wrote still knows it. ``published`` is always an aware UTC datetime.

    ``copies`` are the same article from the same source under other links (another of its feeds, a
    redirect wrapper, a campaign query): one article to readers, never "also covered by", but their
    ids are marked seen with it. ``also_published_by`` are other outlets' copies (wire reprints).
    """

    id: str
    title: str
    url: str
    source: str
    published: datetime
    text: str = ""
    summary_html: str = ""
    author: str = ""
    categories: tuple[str, ...] = ()
    language: str = ""
    feed_url: str = ""
    also_published_by: tuple[Link, ...] = ()
    copies: tuple[Link, ...] = ()
    aliases: tuple[str, ...] = ()

    def is_from(self, entry: str) -> bool:
        """Whether a config entry (``lead_sources``, ``pinned_sources``…) names this article's source.

        By its configured name, its feed's URL, or a folder (absolute) that holds its file. A name a
        feed gives itself never equals a name the config uses: the source stage makes it its own.
        """
        if not entry:
            return False
        if entry in (self.source, self.feed_url):
            return True
        return "://" not in entry and entry.startswith("/") and self.feed_url.startswith(entry.rstrip("/") + "/")

    @property
    def ids(self) -> tuple[str, ...]:
        """This article's id, its copies' and those of every article it stands for: marked seen together."""
        ids = [self.id, *(c.article_id for c in self.copies)]
        for link in self.also_published_by:
            ids += [link.article_id, *link.copy_ids]
        return tuple(dict.fromkeys(i for i in ids if i))


@dataclass(frozen=True, slots=True)
class SummarySentence:
    """One sentence of a story summary and the article it was taken from."""

    text: str
    article_id: str


@dataclass(frozen=True, slots=True)
class Story:
    """Articles that cover the same event, led by one of them."""

    id: str
    label: str
    lead: Article
    articles: tuple[Article, ...]
    summary: tuple[SummarySentence, ...] = ()
    keyphrases: tuple[str, ...] = ()
    section: str = ""
    score: float = 0.0
    score_parts: tuple[tuple[str, float], ...] = ()
    is_update: bool = False

    @property
    def others(self) -> tuple[Article, ...]:
        """The story's articles other than the lead, in story order."""
        return tuple(a for a in self.articles if a.id != self.lead.id)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages its articles are in (``en``, not ``en-GB``), the lead's first, then by count.

        A language other than the lead's is named when it holds at least :data:`LANGUAGE_SHARE` of the
        story's articles: one headline of a hundred read as Portuguese says more about language
        detection on a few words than about the story.
        """
        counts = Counter(a.language.replace("_", "-").split("-")[0].casefold() for a in self.articles if a.language)
        lead = self.lead.language.replace("_", "-").split("-")[0].casefold()
        least = LANGUAGE_SHARE * len(self.articles)
        named = [lang for lang in counts if lang == lead or counts[lang] >= least]
        return tuple(sorted(named, key=lambda lang: (lang != lead, -counts[lang], lang)))


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """An LLM answer for one story, keyed so the same story and prompt never cost a second call."""

    model: str
    prompt_version: str
    story_hash: str
    response: str


@dataclass(frozen=True, slots=True)
class StoryMemory:
    """A story as it was sent: what lets a later issue recognize its follow-ups as updates."""

    story_id: str
    digest_id: str
    label: str
    terms: tuple[tuple[str, float], ...]
    article_ids: tuple[str, ...]
    sent_at: datetime


@dataclass(frozen=True, slots=True)
class Section:
    """A named group of stories in the digest, in rank order."""

    name: str
    slug: str
    stories: tuple[Story, ...]


@dataclass(frozen=True, slots=True)
class BriefSentence:
    """One sentence of the week in brief and the stories it draws on, as indices into :attr:`Digest.stories`."""

    text: str
    stories: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Brief:
    """The week in brief: a few sentences on the week's top stories, each citing the stories it draws on.

    ``written_by`` is ``"llm"`` when a model wrote it (and it passed the grounding check), else
    ``"extractive"``: the lead sentence of each top story.
    """

    sentences: tuple[BriefSentence, ...] = ()
    written_by: str = "extractive"


@dataclass(frozen=True, slots=True)
class Digest:
    """One issue: the week it covers, the week in brief (``None``: turned off) and its sections."""

    id: str
    title: str
    start: datetime
    end: datetime
    sections: tuple[Section, ...]
    brief: Brief | None = None

    @property
    def stories(self) -> tuple[Story, ...]:
        return tuple(story for section in self.sections for story in section.stories)

    @property
    def article_ids(self) -> tuple[str, ...]:
        """Every article the digest shows, copies included: what gets marked seen on delivery."""
        ids = (i for story in self.stories for article in story.articles for i in article.ids)
        return tuple(dict.fromkeys(ids))


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing that went wrong with one source or recipient, reported and survived."""

    source: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.source}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


@dataclass(frozen=True, slots=True)
class RankedStory:
    """A story's place in the digest and the parts of its score, as the run report explains it."""

    id: str
    label: str
    section: str
    score: float
    parts: tuple[tuple[str, float], ...]
    update: bool = False
    languages: tuple[str, ...] = ()

    @classmethod
    def of(cls, story: Story) -> RankedStory:
        return cls(
            story.id, story.label, story.section, story.score, story.score_parts, story.is_update, story.languages
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "label": self.label,
            "section": self.section,
            "score": self.score,
            "parts": dict(self.parts),
            "update": self.update,
            "languages": list(self.languages),
        }


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the state store remembers of one feed URL between runs.

    ``etag``/``last_modified`` are the validators sent back for a conditional GET; ``failures`` counts
    failed runs in a row (feed health); ``gone`` is set by HTTP 410; ``moved_to`` by a permanent redirect.
    ``checked_at`` is the last attempt, ``last_success`` the last one that worked, and ``skipped`` the
    runs a quarantined feed has been left out of since it was last tried (see :mod:`digest.health`).
    ``newest_item`` is the date of the newest dated item the feed ever carried (not after its run's
    ``now``): a feed that answers but publishes nothing new is stale, not healthy.
    """

    url: str
    etag: str = ""
    last_modified: str = ""
    failures: int = 0
    status: int = 0
    error: str = ""
    gone: bool = False
    moved_to: str = ""
    checked_at: datetime | None = None
    last_success: datetime | None = None
    skipped: int = 0
    newest_item: datetime | None = None


class RunStatus(StrEnum):
    """How a run ended: the ``status`` report.json and ``digest status`` show, word for word."""

    PENDING = ""  # not decided yet: the report of a week built but not sent (a preview)
    SENT = "sent"
    NOTHING_NEW = "nothing_new"
    SOURCES_FAILED = "sources_failed"  # not one source could be read: not "nothing new", a failure
    PARTIAL = "partial"  # some recipient refused, or the site failed
    FAILED = "failed"  # nothing went out; the outbox keeps it for the next run
    DRY_RUN = "dry_run"
    TEST_SEND = "test_send"
    ERROR = "error"  # the run stopped on an error; report.json writes "error: <the error>"


@dataclass(frozen=True, slots=True)
class RunReport:
    """What a run did: the machine-readable record written after every run."""

    digest_id: str
    now: datetime
    dry_run: bool
    articles_gathered: int = 0
    articles_new: int = 0
    stories: int = 0
    delivered_to: tuple[str, ...] = ()
    published: bool = False
    marked_seen: int = 0
    outputs: tuple[tuple[str, str], ...] = ()
    problems: tuple[Problem, ...] = field(default_factory=tuple)
    ranking: tuple[RankedStory, ...] = ()
    status: RunStatus = RunStatus.PENDING
    resent: tuple[str, ...] = ()
    completed: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()
    # Articles [[filters]] dropped, counted under the rule that dropped them (never marked seen).
    filtered: tuple[tuple[str, int], ...] = ()
    # The span of time the run covered (catch-up reaches back to the last delivered issue).
    window_start: datetime | None = None
    # Articles older than digest.max_catch_up_days allows, published since the last delivered issue.
    skipped: int = 0
    # Addresses in email.to that are on the suppression list, so were not mailed.
    suppressed: int = 0
    # Gathered articles outside the window: published before its start, or after now (they wait
    # for their own week's issue); sent in an earlier issue; copies folded into another article.
    before_window: int = 0
    after_window: int = 0
    already_seen: int = 0
    copies: int = 0
    # What stopped the run, when status is ERROR.
    error: str = ""
    # Delivery failed for a reason the next run cannot cure by itself (a refused login, sender or every
    # recipient): the problems say what to fix. False when it may pass (a server down, a 4xx reply).
    needs_fix: bool = False

    def __post_init__(self) -> None:
        # A status given as its word ("sent") is the member; a word that is not one is refused here.
        object.__setattr__(self, "status", RunStatus(self.status))

    def to_dict(self) -> dict[str, object]:
        return {
            "digest_id": self.digest_id,
            "now": self.now.isoformat(),
            "dry_run": self.dry_run,
            "articles_gathered": self.articles_gathered,
            "articles_new": self.articles_new,
            "stories": self.stories,
            "delivered_to": list(self.delivered_to),
            "published": self.published,
            "marked_seen": self.marked_seen,
            "outputs": dict(self.outputs),
            "problems": [{"source": p.source, "message": p.message, "hint": p.hint} for p in self.problems],
            "ranking": [r.to_dict() for r in self.ranking],
            "status": f"{self.status}: {self.error}" if self.status is RunStatus.ERROR else self.status.value,
            "resent": list(self.resent),
            "completed": list(self.completed),
            "refused": list(self.refused),
            "filtered": dict(self.filtered),
            "window": {
                "start": self.window_start.isoformat() if self.window_start else None,
                "end": self.now.isoformat(),
            },
            "skipped": self.skipped,
            "suppressed": self.suppressed,
            "needs_fix": self.needs_fix,
            "outside_window": {"before": self.before_window, "after": self.after_window},
            "already_seen": self.already_seen,
            "copies": self.copies,
        }
