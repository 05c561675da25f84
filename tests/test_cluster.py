"""Story clustering: the estimator's conventions, determinism, and a labelled week."""

from __future__ import annotations

import importlib.util
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from digest.cluster import StoryClusterer, build_stories
from digest.cluster.features import article_document, article_parts, entity_tokens, lede_end, word_tokens
from digest.models import Article

from .labelled_week import labelled_week, two_fires

ROOT = Path(__file__).resolve().parents[1]

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


def partition(ids: list[str], labels: np.ndarray) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = {}
    for article_id, label in zip(ids, labels, strict=True):
        groups.setdefault(int(label), set()).add(article_id)
    return {frozenset(g) for g in groups.values()}


def test_labelled_week_clusters_as_labelled() -> None:
    articles, gold = labelled_week()
    labels = StoryClusterer().fit(articles).labels_
    assert partition([a.id for a in articles], labels) == partition(
        [a.id for a in articles], np.array([sorted(set(gold)).index(g) for g in gold])
    )


def test_two_earthquakes_share_a_topic_but_not_a_story() -> None:
    articles, gold = labelled_week()
    fitted = StoryClusterer().fit(articles)
    quakes = [i for i, g in enumerate(gold) if g.startswith("quake")]
    assert len({int(fitted.labels_[i]) for i in quakes}) == 2


def test_the_lede_keeps_apart_stories_that_recall_each_other() -> None:
    articles, gold = two_fires()
    expected = partition([a.id for a in articles], np.array([sorted(set(gold)).index(g) for g in gold]))
    assert partition([a.id for a in articles], StoryClusterer().fit(articles).labels_) == expected
    # Read as one bag of words, each fire's coverage is as much about the other fire.
    assert StoryClusterer(lead_words=0).fit(articles).n_clusters_ == 1


def test_lede_ends_after_the_first_words() -> None:
    text = "One two  three\nfour five"
    assert text[: lede_end(text, 4)] == "One two  three\nfour"
    assert lede_end("Short text.", 60) == len("Short text.")
    assert lede_end("", 10) == 0


def test_title_and_lede_count_again() -> None:
    article = Article(id="a", title="Dam bursts", url="", source="s", published=NOW, text="Water rose fast. Then more.")
    parts = article_parts(article, title_weight=2, summary_weight=1, lead_words=3)
    assert parts == (("Dam bursts", 2), ("Water rose fast.", 2), (" Then more.", 1))
    document = article_document(article, title_weight=2, summary_weight=1, lead_words=3)
    assert document.split("\n") == ["Dam bursts", "Dam bursts", "Water rose fast.", "Water rose fast.", "Then more."]
    assert article_parts(article, title_weight=1, summary_weight=1, lead_words=0) == (
        ("Dam bursts", 1),
        ("Water rose fast. Then more.", 1),
    )


def test_labels_are_deterministic_across_runs_and_shuffles() -> None:
    articles, _ = labelled_week()
    ids = [a.id for a in articles]
    first = StoryClusterer(random_state=0).fit(articles).labels_
    again = StoryClusterer(random_state=0).fit(articles).labels_
    assert np.array_equal(first, again)
    expected = partition(ids, first)
    for seed in range(5):
        shuffled = articles[:]
        random.Random(seed).shuffle(shuffled)
        labels = StoryClusterer(random_state=0).fit(shuffled).labels_
        assert partition([a.id for a in shuffled], labels) == expected


def test_labels_are_numbered_by_first_appearance() -> None:
    articles, _ = labelled_week()
    labels = StoryClusterer().fit(articles[::-1]).labels_
    seen: list[int] = []
    for label in labels:
        if int(label) not in seen:
            seen.append(int(label))
    assert seen == list(range(len(seen)))


def test_empty_week() -> None:
    fitted = StoryClusterer().fit([])
    assert fitted.labels_.shape == (0,)
    assert fitted.n_clusters_ == 0
    assert build_stories([], fitted.labels_) == ()


def test_single_article() -> None:
    articles, _ = labelled_week()
    fitted = StoryClusterer().fit(articles[:1])
    assert list(fitted.labels_) == [0]
    stories = build_stories(articles[:1], fitted.labels_, centrality=fitted.centrality_)
    assert len(stories) == 1 and stories[0].lead == articles[0]


def test_articles_without_words_stay_apart() -> None:
    blank = [Article(id=f"b{i}", title="", url="", source="s", published=NOW) for i in range(3)]
    assert sorted(StoryClusterer().fit(blank).labels_) == [0, 1, 2]


def test_time_window_keeps_apart_what_text_only_loosely_joins() -> None:
    articles, gold = labelled_week()
    tram = [a for a, g in zip(articles, gold, strict=True) if g == "tram"]
    moved = [tram[0], tram[1], replace(tram[2], published=tram[2].published + timedelta(days=30))]
    together = StoryClusterer().fit(tram).labels_
    apart = StoryClusterer(time_factor=0.0).fit(moved).labels_
    assert len(set(together)) == 1
    assert apart[0] == apart[1] != apart[2]


def test_estimator_conventions() -> None:
    estimator = StoryClusterer(threshold=0.2, entity_weight=0.3, random_state=3)
    params = estimator.get_params()
    assert params["threshold"] == 0.2 and params["entity_weight"] == 0.3 and params["random_state"] == 3
    copy = clone(estimator)
    assert copy is not estimator and copy.get_params() == params
    assert estimator.set_params(threshold=0.3) is estimator and estimator.threshold == 0.3
    with pytest.raises(NotFittedError):
        _ = estimator.labels_
    articles, _ = labelled_week()
    assert estimator.fit(articles) is estimator
    assert len(estimator.labels_) == len(articles)
    assert not hasattr(clone(estimator), "labels_")
    assert np.array_equal(StoryClusterer().fit_predict(articles), StoryClusterer().fit(articles).labels_)


def test_bad_parameters_are_refused_at_fit() -> None:
    with pytest.raises(ValueError, match="representation"):
        StoryClusterer(representation="magic").fit([])
    with pytest.raises(ValueError, match="entity_weight"):
        StoryClusterer(entity_weight=1.5).fit([])
    with pytest.raises(ValueError, match="lead_words"):
        StoryClusterer(lead_words=-1).fit([])
    with pytest.raises(ValueError, match="n_jobs"):
        StoryClusterer(n_jobs=0).fit([])


def test_labels_do_not_depend_on_the_number_of_threads() -> None:
    spec = importlib.util.spec_from_file_location("cluster_speed", ROOT / "benchmarks" / "cluster_speed.py")
    assert spec and spec.loader
    generated = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generated)
    # Hundreds of stories in dozens of blocks, so the threads really share the work.
    articles = generated.generate(1500, seed=3)
    alone = StoryClusterer(n_jobs=1).fit(articles)
    for n_jobs in (2, 5, -1):
        threaded = StoryClusterer(n_jobs=n_jobs).fit(articles)
        assert np.array_equal(threaded.labels_, alone.labels_)
        assert np.array_equal(threaded.topics_, alone.topics_)
        assert np.array_equal(threaded.centrality_, alone.centrality_)
    assert alone.n_clusters_ > 50 and len(set(alone.topics_.tolist())) >= 10


def test_similarity_is_higher_within_a_story() -> None:
    articles, _ = labelled_week()
    sims = StoryClusterer().similarity(articles, [(0, 1), (0, 3), (6, 9)])
    assert sims[0] > sims[1] > 0 and sims[0] > sims[2]


def test_entity_tokens_keep_names_figures_and_dates() -> None:
    tokens = entity_tokens("Officials said the Betty Ford Center took her in on May 3, 2013, for 90 days.")
    assert {"&betty ford center", "&ford", "#2013", "#90", "@may"} <= set(tokens)
    assert "&officials" not in tokens  # a capital that opens a sentence is not a name


def test_a_headline_date_is_one_token_and_joins_nothing_alone() -> None:
    from digest.cluster.features import featurize

    headlines = [
        "Crude oil fundamental analysis March 11, 2014 forecast",
        "In brief | Nation & World, March 11, 2014",
        "Quake on 11 March leaves thousands homeless",
    ]
    documents = [((title, 3),) for title in headlines]
    titled = featurize(documents, titled=[True] * 3)
    # Three headlines of one day share one date token and no word: "march", "11", "2014" are gone.
    assert titled.entities.getnnz(axis=1).tolist() == [1, 1, 1]
    assert (titled.words[0].multiply(titled.words[1])).nnz == 0
    assert (titled.entities[0].multiply(titled.entities[1])).nnz == 1
    assert (titled.entities[0].multiply(titled.entities[2])).nnz == 1
    # In a body the date keeps month, day and year as words and entities.
    body = featurize(documents)
    assert (body.words[0].multiply(body.words[1])).nnz == 3


def test_word_tokens_drop_stop_words_and_url_fragments() -> None:
    assert word_tokens("The quake hit http:// www. example. com at dawn") == ["quake", "hit", "example", "dawn"]


def test_entity_tokens_respect_word_and_line_boundaries() -> None:
    tokens = entity_tokens("Mayor Lee met the Mayor on Mayday, Sept. 9; Anna Berg-\nKarl x12 3.5% of 1,250 in June")
    assert {"@sep", "@jun", "#9", "#3.5", "#1250", "&anna"} <= set(tokens)
    assert "@may" not in tokens  # Mayor and Mayday are not months
    assert "#12" not in tokens  # a figure glued to a word is part of the word
    assert "&karl" not in tokens  # a capital at the start of a line may open a sentence
    assert {"&mayor", "&lee", "&berg"} <= set(tokens)  # names after a word, not at the start of the text


def test_heaviest_terms_keep_each_rows_largest_and_break_ties_by_position() -> None:
    from scipy.sparse import csr_matrix

    from digest.cluster.graph import _heaviest

    rng = np.random.default_rng(0)
    # Enough cells to span several sorting blocks, values from a small set so ties are common.
    dense = rng.integers(0, 4, size=(3000, 120)).astype(np.float64)
    dense[5] = 0.0
    dense[7, :3] = [1.0, 0.0, 2.0]
    matrix = csr_matrix(dense)
    cut = _heaviest(matrix, 16).toarray()
    for row in range(dense.shape[0]):
        nonzero = np.flatnonzero(dense[row])
        top = sorted(nonzero, key=lambda col: (-dense[row, col], col))[:16]
        expected = np.zeros(dense.shape[1])
        expected[top] = dense[row, top]
        assert np.array_equal(cut[row], expected)
