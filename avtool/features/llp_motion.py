"""`llp_motion`: one motion vector per second on the LLP grid (offline R(2+1)D-18 substitute).

Default (no weights): 256 hand-crafted values per 1-s segment, from the `fps` (8) frames of
the second decoded at `size` (96x96), each compared with the frame before it (the first frame
of the clip has none, so segment 0 uses 7 pairs). Dense optical flow (OpenCV Farneback) and
grey-level absolute differences give, averaged over the segment's frame pairs:

* 128: flow direction histogram per cell of a 4 x 4 grid: 8 orientation bins, each pixel
  adding its flow magnitude (pixels/frame), divided by the cell's pixel count;
* 32: colour of what changes: 32 hue bins, each pixel adding its absolute grey difference
  (in [0, 1]), divided by the frame's pixel count;
* 32: mean absolute grey difference per 4 x 4 cell, and its maximum over the pairs;
* 64: global 8 orientation x 8 magnitude bins (edges 0.25, 0.5, 1, 2, 4, 8, 16 px/frame),
  as fractions of the pixels.

Noise gates: grey changes below 8/255 count as zero, and flow counts only where it is at
least 0.25 px/frame within 2 pixels of a changed pixel, so sensor and codec noise on a still
scene gives (nearly) all-zero features.

Every value is non-negative and square-rooted (small moving objects still register). A clip
shorter than `segments` seconds repeats its last frame (no motion), a longer one is trimmed.

User model (``model=PATH``): an ONNX video model taking (N, 3, fps, H, W) clips, one per
second, at `model_size` (112x112), RGB in [0, 1] normalised with `mean`/`std` (Kinetics-400
by default), e.g. R(2+1)D-18 without its classifier (512-d). See
`avtool.features.onnx_runner`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from avtool.config import ranged
from avtool.errors import ConfigError
from avtool.features.base import FPS, FRAME_SIZE, SEGMENTS, VideoExtractor, extractors
from avtool.features.llp_frame import cell_means, grid_frames, hsv_frames
from avtool.features.onnx_runner import OnnxPlugin

KINETICS_MEAN = (0.43216, 0.394666, 0.37645)
KINETICS_STD = (0.22803, 0.22145, 0.216989)
_MIN_FLOW = 0.25  # px/frame: slower flow is treated as noise
_MIN_DIFF = 8 / 255  # grey-level changes below this are treated as noise
_MAG_EDGES = np.array([0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0], np.float32)


@dataclass(frozen=True)
class LlpMotionConfig:
    fps: float = field(default=8.0, metadata=FPS)
    size: tuple[int, int] = field(default=(96, 96), metadata=FRAME_SIZE)  # width, height
    segments: int = field(default=10, metadata=SEGMENTS)
    model: str = ""
    model_size: tuple[int, int] = field(default=(112, 112), metadata=FRAME_SIZE)
    mean: tuple[float, float, float] = field(default=KINETICS_MEAN, metadata=ranged())
    std: tuple[float, float, float] = field(default=KINETICS_STD,
                                            metadata=ranged(min=0, min_open=True))


def describe_motion(frames: np.ndarray, per_segment: int) -> np.ndarray:
    """Hand-crafted motion descriptor: uint8 RGB (T*per_segment, H, W, 3) -> (T, 256)."""
    import cv2

    n, h, w, _ = frames.shape
    grey = cv2.cvtColor(frames.reshape(n * h, w, 3), cv2.COLOR_RGB2GRAY).reshape(n, h, w)
    hue = hsv_frames(frames)[..., 0].astype(np.int64) * 32 // 180  # (n, h, w) in 0..31
    pair_feats = np.zeros((n, 256), np.float32)
    cell_diff = np.zeros((n, 16), np.float32)
    for k in range(1, n):
        flow = cv2.calcOpticalFlowFarneback(grey[k - 1], grey[k], None, 0.5, 2, 9, 2, 5, 1.1, 0)
        mag, ang = cv2.cartToPolar(flow[..., 0], flow[..., 1])
        diff = np.abs(grey[k].astype(np.float32) - grey[k - 1].astype(np.float32)) / 255.0
        diff[diff < _MIN_DIFF] = 0.0
        changed = cv2.dilate((diff > 0).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        mag[(mag < _MIN_FLOW) | ~changed] = 0.0  # noise gates: slow flow, unchanged pixels
        orient = (ang * (8 / (2 * np.pi))).astype(np.int64) % 8
        # 128: orientation histogram per 4x4 cell, magnitude-weighted
        cy = np.minimum(np.arange(h) * 4 // h, 3)[:, None]
        cx = np.minimum(np.arange(w) * 4 // w, 3)[None, :]
        cell = (cy * 4 + cx) * 8 + orient
        cells = np.bincount(cell.ravel(), weights=mag.ravel(), minlength=128)
        pair_feats[k, :128] = cells / (h * w / 16.0)
        # 32: hue of what changes
        pair_feats[k, 128:160] = np.bincount(hue[k].ravel(), weights=diff.ravel(),
                                             minlength=32) / (h * w)
        cell_diff[k] = cell_means(diff[None], 4).ravel()
        # 64: global orientation x magnitude
        moving = mag > 0
        mbin = np.searchsorted(_MAG_EDGES, mag[moving])
        pair_feats[k, 192:256] = np.bincount(orient[moving] * 8 + mbin, minlength=64) / (h * w)
    segments = n // per_segment
    out = np.zeros((segments, 256), np.float32)
    for t in range(segments):
        lo, hi = max(t * per_segment, 1), (t + 1) * per_segment
        if hi <= lo:
            continue
        out[t, :160] = pair_feats[lo:hi, :160].mean(axis=0)
        out[t, 160:176] = cell_diff[lo:hi].mean(axis=0)
        out[t, 176:192] = cell_diff[lo:hi].max(axis=0)
        out[t, 192:] = pair_feats[lo:hi, 192:].mean(axis=0)
    return np.sqrt(out)


@extractors.register("llp_motion")
class LlpMotionExtractor(OnnxPlugin, VideoExtractor):
    name = "llp_motion"
    config_type = LlpMotionConfig

    def __init__(self, config=None, device: str = "cpu") -> None:
        super().__init__(config, device)
        if float(self.config.fps) != int(self.config.fps) or self.config.fps < 2:
            raise ConfigError(f"llp_motion: fps must be a whole number >= 2 (frames per "
                              f"1-s segment), got {self.config.fps}")
        self._model = None
        self._dim: int | None = None

    @property
    def frame_rate(self) -> float:
        return 1.0

    @property
    def per_segment(self) -> int:
        return int(round(self.config.fps))

    @property
    def frame_shape(self) -> tuple[int, ...]:
        width, height = self.config.model_size
        return self.plugin_dim(256, (3, self.per_segment, height, width))

    def __call__(self, source) -> np.ndarray:
        size = self.config.model_size if self.config.model else self.config.size
        frames = grid_frames(source.frames(self.config.fps, tuple(size)),
                             self.config.segments * self.per_segment, str(source.path))
        return self.describe(frames)

    def compute(self, frames: Iterator[tuple[float, np.ndarray]]) -> np.ndarray:
        return self.describe(grid_frames(frames, self.config.segments * self.per_segment))

    def describe(self, frames: np.ndarray) -> np.ndarray:
        """Features of exactly-gridded frames (segments * fps, H, W, 3) -> (segments, D)."""
        if not self.config.model:
            return describe_motion(frames, self.per_segment)
        from avtool.features.onnx_runner import normalise

        x = normalise(frames, self.config.mean, self.config.std)  # (n, 3, H, W)
        n, c, h, w = x.shape
        clips = x.reshape(self.config.segments, self.per_segment, c, h, w).transpose(0, 2, 1, 3, 4)
        return self.onnx.run(clips)
