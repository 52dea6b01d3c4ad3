"""`color`: per-frame HSV colour histogram (hue, saturation and value histograms, L1-normalised)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from avtool.config import ranged
from avtool.features.base import FPS, FRAME_SIZE, VideoExtractor, extractors


@dataclass(frozen=True)
class ColorConfig:
    fps: float = field(default=8.0, metadata=FPS)
    size: tuple[int, int] = field(default=(64, 64), metadata=FRAME_SIZE)
    hue_bins: int = field(default=16, metadata=ranged(min=1, max=256))
    sat_bins: int = field(default=8, metadata=ranged(min=1, max=256))
    val_bins: int = field(default=8, metadata=ranged(min=1, max=256))


@extractors.register("color")
class ColorExtractor(VideoExtractor):
    name = "color"
    config_type = ColorConfig

    @property
    def frame_shape(self) -> tuple[int, ...]:
        c = self.config
        return (c.hue_bins + c.sat_bins + c.val_bins,)

    def compute(self, frames: Iterator[tuple[float, np.ndarray]]) -> np.ndarray:
        import cv2

        c = self.config
        rows = []
        for _, frame in frames:
            hsv = cv2.cvtColor(frame, cv2.COLOR_RGB2HSV)  # H in [0,180), S,V in [0,256)
            parts = [
                np.histogram(hsv[..., 0], bins=c.hue_bins, range=(0, 180))[0],
                np.histogram(hsv[..., 1], bins=c.sat_bins, range=(0, 256))[0],
                np.histogram(hsv[..., 2], bins=c.val_bins, range=(0, 256))[0],
            ]
            pixels = hsv.shape[0] * hsv.shape[1]
            rows.append(np.concatenate(parts).astype(np.float32) / pixels)
        return np.stack(rows) if rows else np.zeros((0, *self.frame_shape), np.float32)
