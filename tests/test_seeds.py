"""The five real articles in ../shared/seeds, read through a folder source, become a digest."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from digest import Pipeline
from digest.config import parse_config
from digest.store import open_store

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_each_seed_article_is_one_story_titled_and_summarized_from_its_own_text(shared: Path) -> None:
    seeds = sorted((shared / "seeds").glob("*.txt"))
    assert len(seeds) == 5
    config = parse_config({"sources": [{"folder": str(shared / "seeds"), "name": "Seeds"}]})
    with open_store(":memory:") as store:
        week = Pipeline(config, store=store).build_week(NOW)

    stories = week.digest.stories
    shown = [a for story in stories for a in story.articles]
    assert len(shown) == 5 and len({a.id for a in shown}) == 5, "each article appears in exactly one story"
    for path in seeds:
        raw = " ".join(path.read_text(encoding="utf-8").split())
        own = [a for a in shown if a.feed_url == str(path.resolve())]  # sources resolve their paths
        assert len(own) == 1, f"{path.name} is not in the digest exactly once"
        article = own[0]
        assert article.title.rstrip("…") and article.title.rstrip("…") in raw, "the title comes from the article"
        story = next(s for s in stories if article in s.articles)
        if story.lead == article:
            assert story.summary, f"{path.name} got no summary"
        # Articles about one story share it, and its summary may quote any of them: each sentence must
        # be the own text of the article it cites.
        for sentence in (s for s in story.summary if s.article_id == article.id):
            assert sentence.text in raw, "every summary sentence is the cited article's own"
            assert sentence.text != article.title
    for story in stories:
        assert story.label in week.rendering.markdown.replace("\\", "")
