"""Stage 4: group the week's articles into stories and choose each story's lead article.

:class:`StoryClusterer` (scikit-learn conventions) finds the stories; :func:`build_stories` turns
its labels into :class:`~digest.models.Story` values under the lead policy of :mod:`.lead`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .lead import LeadPolicy, build_stories, choose_lead

if TYPE_CHECKING:
    from .estimator import StoryClusterer

__all__ = ["LeadPolicy", "StoryClusterer", "build_stories", "choose_lead"]


def __getattr__(name: str) -> Any:
    # The estimator loads scikit-learn and scipy; the lead policy, which rendering uses, needs neither.
    if name == "StoryClusterer":
        from .estimator import StoryClusterer

        return StoryClusterer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
