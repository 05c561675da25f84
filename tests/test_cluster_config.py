"""The [cluster] and [dedupe] config tables, and the optional semantic representation."""

from __future__ import annotations

import pytest

from digest.cluster import StoryClusterer, semantic
from digest.config import ClusterConfig, parse_config
from digest.errors import ConfigError

from .labelled_week import labelled_week


def test_defaults_reach_the_estimator() -> None:
    config = parse_config({})
    estimator = StoryClusterer(**config.cluster.estimator_params())
    assert estimator.get_params()["threshold"] == config.cluster.threshold
    # A bare StoryClusterer() is the clusterer a run uses: its defaults are the config's, declared once.
    bare = StoryClusterer().get_params()
    assert {key: bare[key] for key in config.cluster.estimator_params()} == ClusterConfig().estimator_params()
    assert config.dedupe.threshold == 0.7 and config.dedupe.num_perm % config.dedupe.bands == 0


def test_keys_are_read() -> None:
    config = parse_config(
        {
            "cluster": {"threshold": 0.2, "lead_sources": ["A", "B"], "derivative_sources": ["Wire"], "window_days": 2},
            "dedupe": {"threshold": 0.8, "num_perm": 32, "bands": 8},
        }
    )
    assert config.cluster.threshold == 0.2 and config.cluster.window_days == 2.0
    assert config.cluster.lead_sources == ("A", "B") and config.cluster.derivative_sources == ("Wire",)
    assert (config.dedupe.threshold, config.dedupe.num_perm, config.dedupe.bands) == (0.8, 32, 8)


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"cluster": {"representation": "magic"}}, "cluster.representation"),
        ({"cluster": {"entity_weight": 2}}, "cluster.entity_weight"),
        ({"cluster": {"short_text": -1}}, "cluster.short_text"),
        ({"cluster": {"full_entities": -1}}, "cluster.full_entities"),
        ({"cluster": {"near_duplicate": 0.8}}, "cluster.near_duplicate"),
        ({"dedupe": {"num_perm": 30, "bands": 16}}, "dedupe.num_perm"),
        ({"dedupe": {"threshold": 0}}, "dedupe.threshold"),
    ],
)
def test_bad_values_name_the_key(table: dict[str, dict[str, object]], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(table)
    assert caught.value.key == key


@pytest.mark.skipif(not semantic.available(), reason="the semantic extra is not installed")
def test_semantic_representation_clusters_the_week() -> None:
    articles, gold = labelled_week()
    labels = StoryClusterer(representation="semantic").fit(articles).labels_
    groups = {g: {int(label) for label, h in zip(labels, gold, strict=True) if h == g} for g in gold}
    assert len(groups) > 1
    assert all(len(v) == 1 for v in groups.values())
    assert len({next(iter(v)) for v in groups.values()}) == len(groups)


def test_semantic_without_the_extra_says_how_to_install() -> None:
    if semantic.available():
        pytest.skip("the semantic extra is installed here")
    semantic._model.cache_clear()
    with pytest.raises(ConfigError, match="semantic"):
        semantic.embed(["a text"])
