"""OPML lists expanded into the feeds they name, includes and all, within bounds.

A list may include other lists; each is read once however often it is included, a loop of includes is
one problem, and past :data:`MAX_OPML_LISTS` lists or :data:`MAX_OPML_FEEDS` feeds the fan-out is cut
with one problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..config import SourceConfig
from ..errors import SourceError
from ..models import Problem
from ..urls import identity_key
from .opml import read_opml

if TYPE_CHECKING:
    from .reader import Reader

__all__ = ["MAX_OPML_FEEDS", "MAX_OPML_LISTS", "expand"]

# An OPML list may include others; past this depth it is surely a loop through ever-new URLs.
_MAX_INCLUDE_DEPTH = 8
# The most OPML lists one run reads, includes and all, and the most feeds they may list together: each
# list is read once however often it is included, and a fan-out past these is cut with one problem.
MAX_OPML_LISTS = 64
MAX_OPML_FEEDS = 20_000

_ALREADY_READ = "already read"


@dataclass
class _Lists:
    """The OPML lists one run has read, by normalized location, and the feeds they listed so far."""

    seen: set[str] = field(default_factory=set)
    feeds: int = 0
    refused: bool = False

    def admit(self, location: str) -> str:
        """ "" if ``location`` is to be read now; else why not (:data:`_ALREADY_READ` needs no problem line)."""
        key = identity_key(location) if "://" in location else location
        if key in self.seen:
            return _ALREADY_READ
        if len(self.seen) >= MAX_OPML_LISTS:
            first, self.refused = not self.refused, True
            # One line for the whole cut, not one per list refused after it.
            return (
                f"more than {MAX_OPML_LISTS} OPML lists included: this one and later ones not read"
                if first
                else _ALREADY_READ
            )
        self.seen.add(key)
        return ""

    def take(self, location: str, feeds: list[SourceConfig], problems: list[Problem]) -> list[SourceConfig]:
        room = max(0, MAX_OPML_FEEDS - self.feeds)
        if len(feeds) > room:
            problems.append(
                Problem(
                    location,
                    f"OPML lists name more than {MAX_OPML_FEEDS} feeds together: the rest not read",
                    "split the lists",
                )
            )
            feeds = feeds[:room]
        self.feeds += len(feeds)
        return feeds


async def expand(reader: Reader) -> tuple[list[SourceConfig], list[Problem]]:
    """The configured sources with every OPML list replaced by the feeds it lists, each feed once."""
    listed: dict[str, SourceConfig] = {}
    problems: list[Problem] = []
    lists = _Lists()
    for source in reader.config.sources:
        if source.kind == "opml":
            for feed in await _opml(reader, reader.where(source), source.category, (), problems, lists):
                listed.setdefault(feed.location, feed)
        else:
            listed.setdefault(reader.where(source), source)
    return list(listed.values()), problems


async def _opml(
    reader: Reader, location: str, category: str, chain: tuple[str, ...], problems: list[Problem], lists: _Lists
) -> list[SourceConfig]:
    if location in chain or len(chain) > _MAX_INCLUDE_DEPTH:
        loop = " → ".join((*chain, location))
        problems.append(Problem(chain[0], f"OPML lists include each other in a loop: {loop}", "remove one include"))
        return []
    refusal = lists.admit(location)
    if refusal:
        if refusal != _ALREADY_READ:
            problems.append(Problem(location, refusal, "split the subscription lists or include fewer"))
        return []
    try:
        opml = read_opml(await reader.load(location), location=location, category=category)
    except SourceError as exc:
        problems.append(Problem(exc.source, exc.message, exc.hint))
        reader.unread_lists.add(exc.source)
        return []
    problems.extend(Problem(location, note, "flatten the list: export it again from your reader") for note in opml.cut)
    if opml.self_references:
        problems.append(Problem(location, "the OPML list names itself as a feed", "remove that outline; skipped"))
    feeds = [f for f in opml.feeds if f.location not in chain]
    if len(feeds) < len(opml.feeds):
        problems.append(Problem(location, "lists an OPML list that includes it as a feed", "remove that outline"))
    feeds = lists.take(location, feeds, problems)
    for include in opml.includes:
        feeds.extend(await _opml(reader, include, category, (*chain, location), problems, lists))
    return feeds
