"""`frames`: resized uint8 RGB frames, for models that learn from pixels."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from avtool.features.base import FPS, FRAME_SIZE, VideoExtractor, extractors


@dataclass(frozen=True)
class FramesConfig:
    fps: float = field(default=8.0, metadata=FPS)
    size: tuple[int, int] = field(default=(112, 112), metadata=FRAME_SIZE)  # width, height


@extractors.register("frames")
class FramesExtractor(VideoExtractor):
    name = "frames"
    config_type = FramesConfig
    dtype = "uint8"

    @property
    def frame_shape(self) -> tuple[int, ...]:
        width, height = self.config.size
        return (height, width, 3)

    def compute(self, frames: Iterator[tuple[float, np.ndarray]]) -> np.ndarray:
        rows = [np.asarray(frame, np.uint8) for _, frame in frames]
        return np.stack(rows) if rows else np.zeros((0, *self.frame_shape), np.uint8)
