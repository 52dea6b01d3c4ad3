"""`llp_frame`: 2-D frame features at 8 fps on the LLP grid (offline ResNet-152 substitute).

Default (no weights): a 512-d hand-crafted descriptor per frame, decoded at `size` (112x112):

* 256: joint HSV colour histogram, 16 hue x 4 saturation x 4 value bins (OpenCV HSV),
  L1-normalised over the frame's pixels, then square-rooted (Hellinger), so small objects
  on a large background still count;
* 192: spatial colour layout, the mean R, G, B (in [0, 1]) of each cell of an 8 x 8 grid;
* 64: edge layout, the mean Sobel gradient magnitude of the grey image per 8 x 8 cell
  (divided by 255).

Output: `segments` x `fps` rows (80 for LLP: 10 s at 8 fps); rows 8t..8t+7 belong to second t.
Frames are taken at k / fps from the clip start; a clip shorter than `segments` seconds
repeats its last decoded frame, a longer one is trimmed (LLP's own pipeline instead spread
80 frames over the whole video with linspace; the two agree for 10-s clips).

User model (``model=PATH``): any ONNX image model, run on every frame resized to
`model_size` (224x224), RGB scaled to [0, 1] and normalised with `mean`/`std` (ImageNet by
default), NCHW; the first output, flattened, is the frame's feature (e.g. 2048 for a
ResNet-152 with its classifier removed). See `avtool.features.onnx_runner`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from avtool.config import ranged
from avtool.errors import MediaError
from avtool.features.base import FPS, FRAME_SIZE, SEGMENTS, VideoExtractor, extractors
from avtool.features.onnx_runner import OnnxPlugin

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class LlpFrameConfig:
    fps: float = field(default=8.0, metadata=FPS)
    size: tuple[int, int] = field(default=(112, 112), metadata=FRAME_SIZE)  # width, height
    segments: int = field(default=10, metadata=SEGMENTS)
    model: str = ""
    model_size: tuple[int, int] = field(default=(224, 224), metadata=FRAME_SIZE)
    mean: tuple[float, float, float] = field(default=IMAGENET_MEAN, metadata=ranged())
    std: tuple[float, float, float] = field(default=IMAGENET_STD,
                                            metadata=ranged(min=0, min_open=True))


def grid_frames(frames: Iterator[tuple[float, np.ndarray]], rows: int, path: str = ""
                ) -> np.ndarray:
    """Exactly `rows` frames (rows, H, W, 3) uint8: trimmed, or padded with the last frame."""
    kept = []
    for _, frame in frames:
        kept.append(np.asarray(frame, np.uint8))
        if len(kept) == rows:
            break
    if not kept:
        raise MediaError(f"{path or 'video'}: no video frames decoded")
    kept += [kept[-1]] * (rows - len(kept))
    return np.stack(kept)


def cell_means(x: np.ndarray, cells: int) -> np.ndarray:
    """(N, H, W[, C]) -> (N, cells, cells[, C]) means; a remainder of rows/columns is cropped."""
    n, h, w = x.shape[:3]
    x = x[:, : h - h % cells, : w - w % cells]
    shape = (n, cells, (h - h % cells) // cells, cells, (w - w % cells) // cells, *x.shape[3:])
    return x.reshape(shape).mean(axis=(2, 4))


def hsv_frames(frames: np.ndarray) -> np.ndarray:
    """uint8 RGB (N, H, W, 3) -> OpenCV HSV (H in [0, 180), S and V in [0, 256))."""
    import cv2

    n, h, w, _ = frames.shape
    return cv2.cvtColor(frames.reshape(n * h, w, 3), cv2.COLOR_RGB2HSV).reshape(n, h, w, 3)


def describe_frames(frames: np.ndarray) -> np.ndarray:
    """The hand-crafted 512-d descriptor of each uint8 RGB frame: (N, 512) float32."""
    import cv2

    n, h, w, _ = frames.shape
    hsv = hsv_frames(frames).astype(np.int64)
    index = (hsv[..., 0] * 16 // 180) * 16 + (hsv[..., 1] // 64) * 4 + hsv[..., 2] // 64
    index = index.reshape(n, -1) + 256 * np.arange(n)[:, None]
    hist = np.bincount(index.ravel(), minlength=256 * n).reshape(n, 256) / float(h * w)
    layout = cell_means(frames.astype(np.float32) / 255.0, 8).reshape(n, 192)
    magnitude = np.empty((n, h, w), np.float32)
    for k in range(n):  # per frame: a filter over stacked frames would mix their borders
        grey = cv2.cvtColor(frames[k], cv2.COLOR_RGB2GRAY).astype(np.float32)
        gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
        magnitude[k] = np.sqrt(gx * gx + gy * gy) / 255.0
    edges = cell_means(magnitude, 8).reshape(n, 64)
    return np.concatenate([np.sqrt(hist), layout, edges], axis=1).astype(np.float32)


@extractors.register("llp_frame")
class LlpFrameExtractor(OnnxPlugin, VideoExtractor):
    name = "llp_frame"
    config_type = LlpFrameConfig

    def __init__(self, config=None, device: str = "cpu") -> None:
        super().__init__(config, device)
        self._model = None
        self._dim: int | None = None

    @property
    def rows(self) -> int:
        return int(round(self.config.segments * self.config.fps))

    @property
    def frame_shape(self) -> tuple[int, ...]:
        width, height = self.config.model_size
        return self.plugin_dim(512, (3, height, width))

    def __call__(self, source) -> np.ndarray:
        size = self.config.model_size if self.config.model else self.config.size
        frames = grid_frames(source.frames(self.config.fps, tuple(size)), self.rows,
                             str(source.path))
        return self.describe(frames)

    def compute(self, frames: Iterator[tuple[float, np.ndarray]]) -> np.ndarray:
        return self.describe(grid_frames(frames, self.rows))

    def describe(self, frames: np.ndarray) -> np.ndarray:
        """Features of exactly-gridded frames (rows, H, W, 3) -> (rows, D)."""
        if not self.config.model:
            return describe_frames(frames)
        from avtool.features.onnx_runner import normalise

        return self.onnx.run(normalise(frames, self.config.mean, self.config.std))
