"""Stage 4: group the week's articles into stories and choose each story's lead article.

:class:`StoryClusterer` (scikit-learn conventions) finds the stories; :func:`build_stories` turns
its labels into :class:`~digest.models.Story` values under the lead policy of :mod:`.lead`.
"""

from __future__ import annotations

from .estimator import StoryClusterer
from .lead import LeadPolicy, build_stories, choose_lead

__all__ = ["LeadPolicy", "StoryClusterer", "build_stories", "choose_lead"]
