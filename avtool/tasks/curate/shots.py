"""Shot boundaries with PySceneDetect, fed frame by frame as the video streams past.

"content" is `ContentDetector` (HSV deltas), the public SyncNet pipeline's choice;
"histogram" is `HistogramDetector`, the closest to the thesis's colour-histogram comparison.
A video without a cut is one shot.
"""

from __future__ import annotations

import numpy as np

from avtool.tasks.curate.config import ShotConfig


class ShotDetector:
    """Feed every frame (RGB) in order with `feed`; `shots` gives [start, end) frame ranges."""

    def __init__(self, config: ShotConfig, fps: float) -> None:
        from scenedetect import ContentDetector, HistogramDetector

        kind = ContentDetector if config.detector == "content" else HistogramDetector
        kwargs = {"min_scene_len": config.min_frames}
        if config.threshold > 0:
            kwargs["threshold"] = config.threshold
        self.detector = kind(**kwargs)
        self.fps = float(fps)
        self.count = 0
        self.cuts: list[int] = []

    def feed(self, frame: np.ndarray) -> None:
        from scenedetect.common import FrameTimecode

        bgr = np.ascontiguousarray(frame[:, :, ::-1])  # scenedetect works on OpenCV's BGR
        cuts = self.detector.process_frame(FrameTimecode(self.count, self.fps), bgr)
        self.cuts += [c.frame_num for c in cuts]
        self.count += 1

    def shots(self) -> list[tuple[int, int]]:
        if self.count:
            from scenedetect.common import FrameTimecode

            end = FrameTimecode(self.count, self.fps)
            self.cuts += [c.frame_num for c in self.detector.post_process(end)]
        bounds = [0, *sorted({c for c in self.cuts if 0 < c < self.count}), self.count]
        return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
