"""Tiny LLP-format fixtures for tests: weak-label files and random per-clip feature files."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from avtool.formats.llp import LLP_FEATURE_SHAPES


def write_weak(path: str | Path, rows: Mapping[str, str], bom: bool = False) -> Path:
    """Write an ``AVVP_*.csv`` weak-label file from {clip: "Class,Class"} (optional BOM)."""
    path = Path(path)
    text = "filename\tevent_labels\n" + "".join(f"{k}\t{v}\n" for k, v in rows.items())
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return path


def write_features(root: str | Path, clips: Iterable[str], dtype=np.float32, seed: int = 0
                   ) -> dict[tuple[str, str], np.ndarray]:
    """Random ``<root>/<stream>/<video id>.npy`` files with the released LLP shapes.

    Returns {(clip, stream): array as written}.
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    arrays = {}
    for clip in clips:
        vid = clip[:11]
        for stream, shape in LLP_FEATURE_SHAPES.items():
            (root / stream).mkdir(parents=True, exist_ok=True)
            arr = rng.random(shape).astype(dtype)
            np.save(root / stream / f"{vid}.npy", arr)
            arrays[(clip, stream)] = arr
    return arrays
