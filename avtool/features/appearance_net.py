"""`appearance_net`: retrieval's trained appearance expert, an image-CNN stand-in for SENet-154
(`avtool.features.expert_nets`).

Frames decoded at `fps` (2) and 64 x 64 go through `AppearanceNet`, trained on avtool's
sprite shapes and colours and on faces; its 128-d penultimate layer is the feature. Exactly
`segments` x `fps` rows (a shorter clip repeats its last frame, a longer one is trimmed).

Example: ``avtool extract-features videos/ --feature appearance_net:segments=4 --out experts.h5``
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from avtool.features.base import FPS, SEGMENTS, VideoExtractor, extractors
from avtool.features.expert_nets import ShippedNetPlugin, frames_to_input
from avtool.features.llp_frame import grid_frames

SIZE = (64, 64)  # the network's input, width x height


@dataclass(frozen=True)
class AppearanceNetConfig:
    fps: float = field(default=2.0, metadata=FPS)
    segments: int = field(default=10, metadata=SEGMENTS)
    weights: str = ""  # empty: the network that ships with avtool


@extractors.register("appearance_net")
class AppearanceNetExtractor(ShippedNetPlugin, VideoExtractor):
    name = "appearance_net"
    kind = "appearance"
    config_type = AppearanceNetConfig

    @property
    def rows(self) -> int:
        return int(round(self.config.segments * self.config.fps))

    def __call__(self, source) -> np.ndarray:
        return self.compute(source.frames(self.config.fps, SIZE), str(source.path))

    def compute(self, frames: Iterator[tuple[float, np.ndarray]], path: str = "") -> np.ndarray:
        return self.embed(frames_to_input(grid_frames(frames, self.rows, path)))
