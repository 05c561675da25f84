"""The GUID an article id was made from: ids from GUIDs are scoped to their feed (``<feed>#guid:<guid>``)."""

from __future__ import annotations

from digest.models import Article

__all__ = ["guid"]


def guid(article: Article) -> str:
    return article.id.rpartition("#guid:")[2]
