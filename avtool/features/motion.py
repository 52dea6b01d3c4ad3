"""`motion`: frame-difference statistics on a spatial grid.

For each frame, the grey-level absolute difference to the previous frame (0 for the first)
is averaged in every cell of a grid x grid layout, plus the global mean and the fraction of
pixels that changed by more than `threshold`: grid*grid + 2 values per frame, in [0, 1].
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from avtool.config import ranged
from avtool.features.base import FPS, FRAME_SIZE, VideoExtractor, extractors


@dataclass(frozen=True)
class MotionConfig:
    fps: float = field(default=8.0, metadata=FPS)
    size: tuple[int, int] = field(default=(64, 64), metadata=FRAME_SIZE)
    grid: int = field(default=4, metadata=ranged(min=1, max=64))
    threshold: float = field(default=0.1, metadata=ranged(min=0, max=1))


@extractors.register("motion")
class MotionExtractor(VideoExtractor):
    name = "motion"
    config_type = MotionConfig

    @property
    def frame_shape(self) -> tuple[int, ...]:
        return (self.config.grid ** 2 + 2,)

    def compute(self, frames: Iterator[tuple[float, np.ndarray]]) -> np.ndarray:
        g = self.config.grid
        rows = []
        previous = None
        for _, frame in frames:
            grey = frame.astype(np.float32).mean(axis=2) / 255.0
            diff = np.zeros_like(grey) if previous is None else np.abs(grey - previous)
            previous = grey
            h, w = diff.shape
            cells = diff[: h - h % g, : w - w % g].reshape(g, h // g, g, w // g).mean(axis=(1, 3))
            rows.append(np.concatenate([
                cells.ravel(), [diff.mean(), (diff > self.config.threshold).mean()]
            ]).astype(np.float32))
        return np.stack(rows) if rows else np.zeros((0, *self.frame_shape), np.float32)
