"""The week in brief as the templates write it: each sentence with the stories it cites, linked.

A cited story is named by its headline and reached by its anchor in the issue (``<section slug>-<n>``,
the ids ``issue_body.html.j2`` gives its stories) or, where anchors do not carry (email, Markdown read
elsewhere), by its lead article's link.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Digest

__all__ = ["BriefLine", "CitedStory", "brief_lines"]


@dataclass(frozen=True, slots=True)
class CitedStory:
    label: str
    anchor: str
    url: str


@dataclass(frozen=True, slots=True)
class BriefLine:
    text: str
    cited: tuple[CitedStory, ...]


def brief_lines(digest: Digest) -> tuple[BriefLine, ...]:
    """The digest's brief, each sentence with its cited stories; a citation of no shown story is dropped."""
    if digest.brief is None:
        return ()
    stories = [
        CitedStory(story.label, f"{section.slug}-{n}", story.lead.url)
        for section in digest.sections
        for n, story in enumerate(section.stories, 1)
    ]
    lines = []
    for sentence in digest.brief.sentences:
        cited = tuple(stories[i] for i in sentence.stories if 0 <= i < len(stories))
        lines.append(BriefLine(sentence.text, cited))
    return tuple(lines)
