"""Face detectors behind one call: ``detect(rgb) -> (n, 5) array of x, y, w, h, score``.

* ``dlib-hog`` (default): dlib's HOG + linear SVM frontal detector, VoxCeleb1's detector
  [King 2009]; it is compiled into dlib, no file needed.
* ``dlib-cnn``: dlib's MMOD CNN detector, whose weights ship in face-recognition-models;
  slower on a CPU, better on turned faces.
* ``scrfd``: insightface's SCRFD from a folder the user gives (``face.model_dir`` holding a
  ``det_*.onnx``); avtool never fetches it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from avtool.errors import ModelError
from avtool.tasks.curate.config import FaceConfig


def face_detector(config: FaceConfig):
    """The detector named by ``config.detector``."""
    return {"dlib-hog": DlibHog, "dlib-cnn": DlibCnn, "scrfd": Scrfd}[config.detector](config)


def _boxes(rows: list[tuple[float, float, float, float, float]]) -> np.ndarray:
    return np.asarray(rows, np.float32).reshape(-1, 5)


class DlibHog:
    def __init__(self, config: FaceConfig) -> None:
        import dlib

        self.detector = dlib.get_frontal_face_detector()
        self.upsample = config.upsample

    def detect(self, rgb: np.ndarray) -> np.ndarray:
        rects, scores, _ = self.detector.run(rgb, self.upsample, 0.0)
        return _boxes([(r.left(), r.top(), r.width(), r.height(), s)
                       for r, s in zip(rects, scores, strict=True)])


class DlibCnn:
    def __init__(self, config: FaceConfig) -> None:
        import dlib

        self.detector = dlib.cnn_face_detection_model_v1(model_file("cnn_face_detector"))
        self.upsample = config.upsample

    def detect(self, rgb: np.ndarray) -> np.ndarray:
        found = self.detector(rgb, self.upsample)
        return _boxes([(d.rect.left(), d.rect.top(), d.rect.width(), d.rect.height(),
                        d.confidence) for d in found])


class Scrfd:
    def __init__(self, config: FaceConfig) -> None:
        folder = Path(config.model_dir)
        models = sorted(folder.glob("det_*.onnx")) if folder.is_dir() else []
        if not models:
            raise ModelError(f"{folder}: face.model_dir holds no insightface det_*.onnx "
                             "(e.g. det_10g.onnx of buffalo_l); avtool downloads no model")
        try:
            from insightface.model_zoo.scrfd import SCRFD
        except ImportError as err:
            raise ModelError(f"face.detector scrfd needs insightface ({err})") from None
        self.model = SCRFD(model_file=str(models[0]))
        self.model.prepare(ctx_id=-1, input_size=(640, 640), det_thresh=0.5)

    def detect(self, rgb: np.ndarray) -> np.ndarray:
        boxes, _ = self.model.detect(np.ascontiguousarray(rgb[:, :, ::-1]))
        return _boxes([(x0, y0, x1 - x0, y1 - y0, s) for x0, y0, x1, y1, s in boxes])


def model_file(name: str) -> str:
    """A dlib model file shipped in face-recognition-models (ModelError naming the package)."""
    try:
        import face_recognition_models as frm
    except ImportError:
        raise ModelError("the face-recognition-models package is not installed (it ships "
                         "dlib's face models): pip install face-recognition-models") from None
    locate = {"cnn_face_detector": frm.cnn_face_detector_model_location,
              "landmarks_5": frm.pose_predictor_five_point_model_location,
              "landmarks_68": frm.pose_predictor_model_location,
              "descriptor": frm.face_recognition_model_location}[name]
    path = locate()
    if not Path(path).exists():
        raise ModelError(f"{path}: missing from face-recognition-models; reinstall it")
    return path
