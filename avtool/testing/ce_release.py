"""A tiny Collaborative Experts release, in exactly the released layout (MSR-VTT's file names,
pickled dicts of numpy arrays, CE's NaN for a missing expert), with tiny dimensions."""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: expert -> (dim, rows per video: 0 = one pooled (D,) vector)
EXPERTS = {"imagenet.senet154.0": (6, 0), "scene.densenet161.0": (5, 0), "audio": (4, 3),
           "face": (3, 0), "speech": (4, 2)}


def write_ce_release(folder: str | Path, videos: int = 6, seed: int = 0) -> Path:
    """``folder`` as CE's ``data/MSRVTT/structured-symlinks``: one pickle per expert of
    `EXPERTS` (video ``video1`` has no face and ``video2`` no speech: CE's NaN), and the
    ``train_list_jsfusion.txt`` / ``val_list_jsfusion.txt`` split lists (last two videos
    validation). Returns the folder."""
    from avtool.formats.ce_features import CE_EXPERT_FILES, write_ce_expert

    folder = Path(folder)
    rng = np.random.default_rng(seed)
    ids = [f"video{i}" for i in range(videos)]
    for expert, (dim, rows) in EXPERTS.items():
        data: dict[str, np.ndarray | float] = {}
        for i, vid in enumerate(ids):
            shape = (dim,) if rows == 0 else (rows + i % 2, dim)
            data[vid] = rng.normal(size=shape).astype(np.float32)
        if expert == "face":
            data["video1"] = float("nan")
        if expert == "speech":
            data["video2"] = np.nan
        path = folder / CE_EXPERT_FILES[expert][0]
        path.parent.mkdir(parents=True, exist_ok=True)
        write_ce_expert(path, data)
    (folder / "train_list_jsfusion.txt").write_text("\n".join(ids[:-2]) + "\n")
    (folder / "val_list_jsfusion.txt").write_text("\n".join(ids[-2:]) + "\n")
    return folder
