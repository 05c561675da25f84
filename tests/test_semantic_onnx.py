"""A transformer exported to ONNX as ``semantic_model``: run by ONNX Runtime on tiny models built here."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper  # noqa: E402

from digest.cluster import StoryClusterer, semantic  # noqa: E402
from digest.config import parse_config  # noqa: E402
from digest.errors import ConfigError  # noqa: E402

from .headline_week import headline_week  # noqa: E402
from .tiny_onnx import DIMS, WORDS, lookup_model, save_graph, table, tokenizer  # noqa: E402


@pytest.fixture(params=[True, False], ids=["mask", "ids-only"])
def folder(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    tokenizer(tmp_path)
    return lookup_model(tmp_path, table(), with_mask=request.param)


def _expected(texts: list[str]) -> np.ndarray:
    vectors, index = table(), {w: i for i, w in enumerate(WORDS)}
    rows = []
    for text in texts:
        pieces = [index.get(w, 0) for w in text.split()]
        vector = vectors[pieces].mean(axis=0) if pieces else np.zeros(DIMS, dtype=np.float32)
        norm = np.linalg.norm(vector)
        rows.append(vector / norm if norm else vector)
    return np.array(rows)


def test_a_text_is_the_mean_of_its_pieces_whatever_it_is_batched_with(folder: Path) -> None:
    texts = ["bridge collapses three missing", "rates rise", "cup final on penalties", "", "bridge"]
    vectors = semantic.embed(texts, str(folder))
    np.testing.assert_allclose(vectors, _expected(texts), atol=1e-5)
    np.testing.assert_allclose(semantic.embed(["rates rise"], str(folder))[0], vectors[1], atol=1e-6)
    assert not vectors[3].any()  # a text with no pieces has no direction


def test_rows_come_back_in_the_order_given(folder: Path) -> None:
    # More texts than one batch, of lengths unlike their order: batches are formed by length.
    rng = np.random.default_rng(3)
    texts = [" ".join(rng.choice(WORDS[1:], size=int(rng.integers(1, 9)))) for _ in range(150)]
    np.testing.assert_allclose(semantic.embed(texts, str(folder)), _expected(texts), atol=1e-5)


def test_the_folder_is_a_semantic_model_a_config_and_a_clusterer_accept(folder: Path) -> None:
    assert semantic.available(str(folder))
    config = parse_config({"cluster": {"semantic_model": str(folder)}})
    articles, _ = headline_week()
    labels = StoryClusterer(**config.cluster.estimator_params()).fit(articles).labels_
    assert len(labels) == len(articles)


def test_a_model_without_its_tokenizer_is_a_config_error(tmp_path: Path) -> None:
    lookup_model(tmp_path, table(), with_mask=True)
    with pytest.raises(ConfigError, match=r"tokenizer\.json") as caught:
        semantic.embed(["bridge"], str(tmp_path))
    assert caught.value.key == "cluster.semantic_model"


def test_a_corrupt_model_is_a_config_error(tmp_path: Path) -> None:
    tokenizer(tmp_path)
    (tmp_path / "model.onnx").write_bytes(b"\x08\x07 not a protobuf")
    with pytest.raises(ConfigError, match="cannot load the ONNX model"):
        semantic.embed(["bridge"], str(tmp_path))


def test_a_model_cannot_read_a_file_outside_its_folder(tmp_path: Path) -> None:
    # ONNX keeps large weights in files beside the model, named inside it: a hostile model could name
    # any file. The table's bytes sit outside the model's folder, and the runtime must refuse them.
    inside = tmp_path / "model"
    inside.mkdir()
    tokenizer(inside)
    lookup_model(inside, table(), with_mask=False)
    model = onnx.load(str(inside / "model.onnx"))
    (tmp_path / "outside.bin").write_bytes(table().tobytes())
    weights = model.graph.initializer[0]
    weights.ClearField("raw_data")
    weights.data_location = TensorProto.EXTERNAL
    weights.external_data.add(key="location", value="../outside.bin")
    onnx.save(model, str(inside / "model.onnx"))
    with pytest.raises(ConfigError, match="cannot load the ONNX model"):
        semantic.embed(["bridge"], str(inside))


def test_without_onnx_runtime_the_error_names_the_extra(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # what an install without the extra imports
    semantic._model.cache_clear()
    assert not semantic.available(str(folder))
    with pytest.raises(ConfigError, match=r"digest-news\[semantic-onnx\]") as caught:
        semantic.embed(["bridge"], str(folder))
    assert "onnxruntime" in str(caught.value)


def test_a_model_with_other_inputs_is_refused_at_load(tmp_path: Path) -> None:
    tokenizer(tmp_path)
    ids = helper.make_tensor_value_info("tokens", TensorProto.INT64, ["batch", "pieces"])
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", "pieces", DIMS])
    save_graph(tmp_path, [helper.make_node("Gather", ["table", "tokens"], ["out"])], [ids], out, table())
    with pytest.raises(ConfigError, match="cannot load the ONNX model"):
        semantic.embed(["bridge"], str(tmp_path))


def test_a_model_that_gives_no_vector_per_text_is_refused_at_load(tmp_path: Path) -> None:
    tokenizer(tmp_path)
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "pieces"])
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, [DIMS])
    nodes = [
        helper.make_node("Gather", ["table", "input_ids"], ["looked_up"]),
        helper.make_node("ReduceMean", ["looked_up"], ["out"], axes=[0, 1], keepdims=0),
    ]
    save_graph(tmp_path, nodes, [ids], out, table())
    with pytest.raises(ConfigError, match="one vector per text"):
        semantic.embed(["bridge"], str(tmp_path))
