"""Stage 1: read every configured source into :class:`~digest.models.Article` values.

Feeds over HTTP (:mod:`.fetch`) or from files, parsed by :mod:`.feeds` (RSS, Atom, JSON Feed);
OPML subscription lists (:mod:`.opml`); folders of saved articles (:mod:`.folders`). A source that
fails becomes a :class:`~digest.models.Problem` and the others go on: one bad feed never sinks the run.
"""

from .feeds import parse_feed, stable_id
from .fetch import Fetched, Fetcher
from .folders import read_folder, read_saved
from .gather import FeedStates, Gathered, Progress, gather
from .opml import Opml, read_opml

__all__ = [
    "FeedStates",
    "Fetched",
    "Fetcher",
    "Gathered",
    "Opml",
    "Progress",
    "gather",
    "parse_feed",
    "read_folder",
    "read_opml",
    "read_saved",
    "stable_id",
]
