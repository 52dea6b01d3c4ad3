"""Checkpoints of `avtool train`: one self-describing dict per file (format tag, task name,
the task's spec, weights, optimiser and RNG state), written atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from avtool.errors import ModelError

CHECKPOINT_FORMAT = "avtool-checkpoint"


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    import torch

    from avtool.io import atomic_path

    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint written by `fit` (a RUN_DIR means its best.pt)."""
    import torch

    path = Path(path)
    if path.is_dir():
        path = path / "best.pt"
    if not path.exists():
        raise ModelError(f"{path}: no such checkpoint (give a RUN_DIR or a .pt file from "
                         "`avtool train`)")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ModelError(f"{path}: not a readable checkpoint ({type(err).__name__})") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise ModelError(f"{path}: not an avtool checkpoint")
    return ckpt


def state_sha256(state: dict[str, Any]) -> str:
    """sha256 over a state dict's names and tensor bytes, in name order: the identity of a
    network's weights (what an index or an embedding cache records of its model)."""
    import hashlib

    digest = hashlib.sha256()
    for name in sorted(state):
        digest.update(name.encode())
        digest.update(state[name].detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()
