"""Tiny ONNX models and their tokenizers, written by the tests: a table lookup per word."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import NodeProto, TensorProto, ValueInfoProto, helper, numpy_helper
from tokenizers import Tokenizer, models, pre_tokenizers

WORDS = ("[UNK]", "bridge", "collapses", "three", "missing", "rates", "rise", "cup", "final", "penalties")
DIMS = 6


def table(rows: int = len(WORDS)) -> np.ndarray:
    """One vector per word of :data:`WORDS`, the same on every call."""
    return np.random.default_rng(7).normal(size=(rows, DIMS)).astype(np.float32)


def tokenizer(folder: Path, words: tuple[str, ...] = WORDS) -> None:
    """A ``tokenizer.json`` in ``folder`` that cuts at white space and numbers ``words``."""
    pieces = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    pieces.pre_tokenizer = pre_tokenizers.Whitespace()
    # A tokenizer file may pad every text to a fixed length (MiniLM's pads to 128); the padding must
    # not reach a text's mean.
    pieces.enable_padding(length=16)
    pieces.save(str(folder / "tokenizer.json"))


def lookup_model(folder: Path, vectors: np.ndarray, *, with_mask: bool) -> Path:
    """A graph that looks each piece up in ``vectors``: ``last_hidden_state`` is [batch, pieces, DIMS].
    ``with_mask`` declares an attention mask and zeroes padded positions with it, as a transformer's
    output does not; without it the graph declares ``input_ids`` alone."""
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "pieces"])
    out = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "pieces", DIMS])
    nodes = [helper.make_node("Gather", ["table", "input_ids"], ["looked_up" if with_mask else "last_hidden_state"])]
    inputs = [ids]
    if with_mask:
        inputs.append(helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "pieces"]))
        nodes += [
            helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
            helper.make_node("Unsqueeze", ["mask_f", "axis"], ["mask_3d"]),
            helper.make_node("Mul", ["looked_up", "mask_3d"], ["last_hidden_state"]),
        ]
    return save_graph(folder, nodes, inputs, out, vectors)


def save_graph(
    folder: Path, nodes: list[NodeProto], inputs: list[ValueInfoProto], output: ValueInfoProto, vectors: np.ndarray
) -> Path:
    """``model.onnx`` in ``folder``: ``nodes`` over ``inputs``, with ``vectors`` as the initializer ``table``."""
    initializers = [numpy_helper.from_array(vectors, "table"), numpy_helper.from_array(np.array([2]), "axis")]
    graph = helper.make_graph(nodes, "tiny", inputs, [output], initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(folder / "model.onnx"))
    return folder
