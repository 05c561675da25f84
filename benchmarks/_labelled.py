"""Reading a labelled article corpus (``DIR/articles.jsonl``, see ../shared/bench/README.md) and scoring clusterings."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from digest.models import Article

# Articles without a date all get this one, so the time window neither helps nor hurts them.
UNDATED = datetime(2000, 1, 1, tzinfo=UTC)


def read_labelled(folder: Path) -> tuple[list[Article], list[str], list[str]]:
    """Articles, their gold story labels, and their topic labels (the story when no topic is given)."""
    articles, stories, topics = [], [], []
    with (folder / "articles.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            published = datetime.fromisoformat(row["published"]) if row.get("published") else UNDATED
            if published.tzinfo is None:
                published = published.replace(tzinfo=UTC)
            articles.append(
                Article(
                    id=row["id"],
                    title=row.get("title") or "",
                    url=row.get("url") or "",
                    source=row.get("source") or "",
                    published=published.astimezone(UTC),
                    text=row.get("text") or "",
                )
            )
            stories.append(str(row["story"]))
            topics.append(str(row.get("topic") or row["story"]))
    return articles, stories, topics


def bcubed(gold: Sequence[object], predicted: Sequence[object]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 (Bagga & Baldwin 1998) of ``predicted`` against ``gold``."""
    n = len(gold)
    if n == 0:
        return 1.0, 1.0, 1.0
    both = Counter(zip(gold, predicted, strict=True))
    in_gold, in_predicted = Counter(gold), Counter(predicted)
    precision = sum(both[(g, p)] / in_predicted[p] for g, p in zip(gold, predicted, strict=True)) / n
    recall = sum(both[(g, p)] / in_gold[g] for g, p in zip(gold, predicted, strict=True)) / n
    return precision, recall, 2 * precision * recall / (precision + recall)
