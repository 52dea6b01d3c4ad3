"""`motion_net`: retrieval's trained motion expert, a (2+1)-D CNN standing in for S3D
(`avtool.features.expert_nets`).

Each 1-s segment's 8 frames (8 fps, 64 x 64) go through `MotionNet`, trained on avtool's 8
sprite motions; its 128-d penultimate layer is the feature. One row per second, `segments`
rows (a shorter clip repeats its last frame, i.e. stands still; a longer one is trimmed).

Example: ``avtool extract-features videos/ --feature motion_net:segments=4 --out experts.h5``
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from avtool.features.base import SEGMENTS, VideoExtractor, extractors
from avtool.features.expert_nets import ShippedNetPlugin, frames_to_input
from avtool.features.llp_frame import grid_frames

SIZE = (64, 64)  # the network's input, width x height
FPS = 8  # frames per 1-s clip, as trained


@dataclass(frozen=True)
class MotionNetConfig:
    segments: int = field(default=10, metadata=SEGMENTS)
    weights: str = ""  # empty: the network that ships with avtool


@extractors.register("motion_net")
class MotionNetExtractor(ShippedNetPlugin, VideoExtractor):
    name = "motion_net"
    kind = "motion"
    config_type = MotionNetConfig

    @property
    def frame_rate(self) -> float:
        return 1.0

    def __call__(self, source) -> np.ndarray:
        return self.compute(source.frames(FPS, SIZE), str(source.path))

    def compute(self, frames: Iterator[tuple[float, np.ndarray]], path: str = "") -> np.ndarray:
        x = frames_to_input(grid_frames(frames, self.config.segments * FPS, path))
        n, c, h, w = x.shape  # (segments * 8, 3, H, W) -> (segments, 3, 8, H, W)
        return self.embed(x.reshape(self.config.segments, FPS, c, h, w).transpose(0, 2, 1, 3, 4))
