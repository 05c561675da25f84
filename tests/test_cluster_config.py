"""The [cluster] and [dedupe] config tables, and the optional semantic representation."""

from __future__ import annotations

import inspect
from dataclasses import fields, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from digest.cluster import StoryClusterer, semantic
from digest.config import ClusterConfig, parse_config
from digest.config.sections import LEAD_POLICY
from digest.errors import ConfigError
from digest.models import Article

from .labelled_week import labelled_week


def test_defaults_reach_the_estimator() -> None:
    config = parse_config({})
    estimator = StoryClusterer(**config.cluster.estimator_params())
    assert estimator.get_params()["threshold"] == config.cluster.threshold
    # A bare StoryClusterer() is the clusterer a run uses: its defaults are the config's, declared once.
    bare = StoryClusterer().get_params()
    assert {key: bare[key] for key in config.cluster.estimator_params()} == ClusterConfig().estimator_params()
    assert config.dedupe.threshold == 0.7 and config.dedupe.num_perm % config.dedupe.bands == 0


def test_every_cluster_setting_but_the_lead_policy_is_an_estimator_parameter() -> None:
    # Read from the estimator's signature, as scikit-learn's get_params does: a parameter added to one
    # and not the other, or a default changed in one, fails here.
    signature = inspect.signature(StoryClusterer).parameters
    table = {f.name for f in fields(ClusterConfig)}
    assert set(ClusterConfig().estimator_params()) == table & set(signature)
    assert table - set(signature) == set(LEAD_POLICY)
    for name, value in ClusterConfig().estimator_params().items():
        assert signature[name].default == value, name


def test_the_estimator_refuses_what_the_config_refuses() -> None:
    for name, bad in (("representation", "magic"), ("verify_share", 2.0), ("core_similarity", -1.0)):
        with pytest.raises(ConfigError) as refused:
            ClusterConfig(**{name: bad})
        with pytest.raises(ValueError) as raised:
            StoryClusterer(**{name: bad}).fit([])
        assert str(refused.value) in str(raised.value)


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
        ({"cluster": {"semantic_model": ""}}, "cluster.semantic_model"),
        ({"cluster": {"semantic_model": "sentence-transformers/all-MiniLM-L6-v2"}}, "cluster.semantic_model"),
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


@pytest.mark.parametrize(
    "model",
    [
        semantic.WORDLLAMA,
        pytest.param(
            semantic.MINILM,
            marks=pytest.mark.skipif(not semantic.available(semantic.MINILM), reason="the semantic extra is missing"),
        ),
    ],
)
def test_semantic_representation_clusters_the_week(model: str) -> None:
    articles, gold = labelled_week()
    labels = StoryClusterer(representation="semantic", semantic_model=model).fit(articles).labels_
    groups = {g: {int(label) for label, h in zip(labels, gold, strict=True) if h == g} for g in gold}
    assert len(groups) > 1
    assert all(len(v) == 1 for v in groups.values())
    assert len({next(iter(v)) for v in groups.values()}) == len(groups)


def test_the_default_representation_needs_no_extra() -> None:
    assert ClusterConfig().representation == "semantic" and ClusterConfig().semantic_model == semantic.WORDLLAMA
    assert semantic.available()


def test_minilm_without_the_extra_says_how_to_install() -> None:
    if semantic.available(semantic.MINILM):
        pytest.skip("the semantic extra is installed here")
    semantic._model.cache_clear()
    with pytest.raises(ConfigError, match="semantic extra"):
        semantic.embed(["a text"], semantic.MINILM)


@pytest.mark.parametrize("model", ["", "sentence-transformers/all-MiniLM-L6-v2", "no-such-folder"])
def test_a_model_that_is_not_on_disk_is_a_config_error_not_a_download(model: str) -> None:
    with pytest.raises(ConfigError) as caught:
        semantic.embed(["a text"], model)
    assert caught.value.key == "cluster.semantic_model"


def _whole_text_mean(text: str) -> np.ndarray:
    """The static model's vector computed as its own package does: the whole text through the tokenizer."""
    loaded = semantic._model(semantic.WORDLLAMA)[1]
    pieces = loaded.tokenizer.encode(text, add_special_tokens=False).ids
    vector = loaded.table[pieces].astype(np.float64).mean(axis=0)
    return np.asarray(vector / np.linalg.norm(vector))


def test_static_embeddings_pool_each_word_s_pieces_as_the_tokenizer_cuts_the_text() -> None:
    texts = ["Colorado collects $3.5m in pot taxes", "Carney says UK economy not close to overheating"]
    vectors = semantic.embed(texts)
    for text, vector in zip(texts, vectors, strict=True):
        assert np.allclose(vector, _whole_text_mean(text), atol=1e-5)
    # Two wordings of one story are closer than two stories.
    pot, tax = semantic.embed(["Colorado made $3.5m from marijuana tax in January", texts[0]])
    assert float(pot @ tax) > float(pot @ vectors[1]) + 0.2


def test_static_embeddings_read_the_opening_only() -> None:
    opening = "Wall Street stocks end lower as oil slides. " * 10
    assert len(opening) >= semantic.STATIC_CHARS
    football, weather = semantic.embed([opening + "Football scores " * 500, opening + "Storm warning " * 500])
    assert np.allclose(football, weather)
    assert not np.allclose(football, semantic.embed(["Football scores " * 500])[0])
    assert not np.any(semantic.embed(["", "   "]))


def test_a_week_of_full_articles_embeds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    # With semantic_weight 0 a long pair takes nothing from embeddings: none is computed for it.
    articles = [
        Article(
            id=f"a{n}",
            title=f"Story{n // 2} report",
            url="",
            source=f"Outlet {n}",
            published=datetime(2026, 11, 20, 9 + n, tzinfo=UTC),
            text=" ".join(f"topic{n // 2}word{k} Place{n // 2}x{k}" for k in range(40)),
        )
        for n in range(6)
    ]

    def refuse(documents: list[str], model: str = "") -> np.ndarray:
        raise AssertionError(f"embedded {len(documents)} documents")

    monkeypatch.setattr(semantic, "embed", refuse)
    assert StoryClusterer().fit(articles).n_clusters_ == 3
    with pytest.raises(AssertionError, match="embedded 6 documents"):
        StoryClusterer(semantic_weight=0.1).fit(articles)


def test_headlines_are_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    articles, _ = labelled_week()
    headlines = [replace(a, text="") for a in articles]
    seen: list[int] = []

    def count(documents: list[str], model: str = "") -> np.ndarray:
        seen.append(len(documents))
        return np.tile([1.0, 0.0], (len(documents), 1))

    monkeypatch.setattr(semantic, "embed", count)
    StoryClusterer().fit(headlines)
    assert seen == [len(headlines)]


def test_static_embeddings_of_hostile_text_are_finite_unit_vectors() -> None:
    # Control and bidi characters, emoji, the tokenizer's own special tokens, one endless "word".
    hostile = ["\x00\x01 \u202e\u2066 🎉🎉 " + "a" * 10_000, "<s> </s> <unk>", "x" * 1_000_000, "地震 日本"]
    vectors = semantic.embed([*hostile, "Central bank raises interest rates"])
    assert np.isfinite(vectors).all()
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # What the others hold does not change a text's vector.
    assert np.allclose(vectors[-1], semantic.embed(["Central bank raises interest rates"])[0])


def test_a_model_folder_is_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "models" / "static").mkdir(parents=True)
    config = parse_config({"cluster": {"semantic_model": "models/static"}}, base_dir=tmp_path)
    assert config.cluster_params()["semantic_model"] == str(tmp_path / "models" / "static")
    assert parse_config({}).cluster_params()["semantic_model"] == semantic.WORDLLAMA
    with pytest.raises(ConfigError, match="no such model folder"):
        parse_config({"cluster": {"semantic_model": "models/static"}}, base_dir=tmp_path / "elsewhere")
