"""Run a user-supplied ONNX model inside an extractor (the "bring your own weights" path).

avtool ships no pretrained networks. A user who has one (ResNet-152, R(2+1)D-18, VGGish...)
exports it to ONNX (``torch.onnx.export(model, example, "model.onnx")``, or any converter) and
names the file in the extractor's ``model=`` option, e.g.
``--feature llp_frame:model=/models/resnet152.onnx,model_size=224x224``. The model's first
input takes a float32 batch; its first output, flattened per batch element, is the feature.
The file's sha256 is recorded in the store as the feature's ``model_checksum``.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np

from avtool.errors import ModelError


class OnnxModel:
    """One ONNX model file, run with onnxruntime on the CPU (CUDA when asked and available)."""

    def __init__(self, path: str | Path, device: str = "cpu", owner: str = "extractor") -> None:
        self.path = Path(path)
        self.device = device
        self.owner = owner
        if not str(path):
            raise ModelError(f"{owner}: no model file given (model=/path/to/model.onnx)")
        if not self.path.is_file():
            raise ModelError(f"{owner}: model file {self.path} not found "
                             "(give model=/path/to/model.onnx; avtool downloads nothing)")

    @cached_property
    def checksum(self) -> str:
        from avtool.io import file_sha256

        return file_sha256(self.path)

    @cached_property
    def session(self):
        import onnxruntime as ort

        providers = ["CPUExecutionProvider"]
        if self.device.startswith("cuda") and \
                "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        options = ort.SessionOptions()
        options.log_severity_level = 3
        try:
            return ort.InferenceSession(str(self.path), options, providers=providers)
        except Exception as err:  # onnxruntime raises its own exception types
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ModelError(f"{self.path}: not a loadable ONNX model ({first})") from None

    @property
    def fixed_batch(self) -> int | None:
        dim = self.session.get_inputs()[0].shape[0] if self.session.get_inputs()[0].shape \
            else None
        return dim if isinstance(dim, int) else None

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Outputs for a float32 batch (N, ...) -> (N, D)."""
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        step = self.fixed_batch or len(batch)
        name = self.session.get_inputs()[0].name
        outs = []
        try:
            for i in range(0, len(batch), max(step, 1)):
                out = self.session.run(None, {name: batch[i:i + step]})[0]
                outs.append(np.asarray(out, np.float32).reshape(len(batch[i:i + step]), -1))
        except Exception as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ModelError(f"{self.path}: model failed on input of shape "
                             f"{batch[:step].shape} ({first})") from None
        return np.concatenate(outs)

    def output_dim(self, example_shape: tuple[int, ...]) -> int:
        """Feature size per element, from a zero input of `example_shape` (without batch)."""
        return int(self.run(np.zeros((1, *example_shape), np.float32)).shape[1])


def normalise(frames: np.ndarray, mean: tuple[float, ...], std: tuple[float, ...]
              ) -> np.ndarray:
    """uint8 RGB (..., H, W, 3) -> float32 (..., 3, H, W) in ((x / 255) - mean) / std."""
    x = frames.astype(np.float32) / 255.0
    x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.moveaxis(x, -1, -3)


class OnnxPlugin:
    """Mixin for extractors with a `model=PATH` option: a user's ONNX network replaces the
    built-in computation. The host class sets `self._model = None`, `self._dim = None`."""

    @property
    def onnx(self) -> OnnxModel | None:
        if self._model is None and self.config.model:
            self._model = OnnxModel(self.config.model, self.device, self.name)
        return self._model

    @property
    def model_checksum(self) -> str:
        return self.onnx.checksum if self.config.model else ""

    def plugin_dim(self, builtin: int, input_shape: tuple[int, ...]) -> tuple[int]:
        """The frame shape: `builtin` without a model, else the model's output size."""
        if not self.config.model:
            return (builtin,)
        if self._dim is None:
            self._dim = self.onnx.output_dim(input_shape)
        return (self._dim,)
