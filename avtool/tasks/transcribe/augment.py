"""AVATAR's input augmentation and frame preparation (Gabeur thesis §5.4.1).

* **Audio**: SpecAugment (`avtool.nn.specaugment`) on the normalised fbank of a batch. The
  thesis adopts "parameters from [Park et al.]" without naming the policy; avtool defaults to
  LD (2 frequency masks F=27, 2 time masks T=100, p=1.0), time warping left out.
* **Frames**: "random cropping and color jittering", parameters not given. avtool draws one
  crop and one jitter per clip (the same for its K frames, so tubelets stay aligned): a random
  resized crop of 50-100 % of the area with aspect ratio in [3/4, 4/3], then brightness,
  contrast and saturation factors each uniform in [0.6, 1.4].

Without augmentation (evaluation) frames are resized whole to the model's image size. Pixels
then map to [-1, 1] (ViT's normalisation).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

CROP_AREA = (0.5, 1.0)
CROP_ASPECT = (3 / 4, 4 / 3)
JITTER = 0.4


def _uniform(low: float, high: float, generator: torch.Generator | None) -> float:
    return low + (high - low) * float(torch.rand(1, generator=generator))


def _random_box(height: int, width: int, generator: torch.Generator | None
                ) -> tuple[int, int, int, int]:
    """(top, left, h, w) of a random resized crop (falls back to the whole frame)."""
    for _ in range(10):
        area = _uniform(*CROP_AREA, generator) * height * width
        aspect = math.exp(_uniform(math.log(CROP_ASPECT[0]), math.log(CROP_ASPECT[1]),
                                   generator))
        w = int(round(math.sqrt(area * aspect)))
        h = int(round(math.sqrt(area / aspect)))
        if 0 < w <= width and 0 < h <= height:
            top = int(torch.randint(0, height - h + 1, (1,), generator=generator))
            left = int(torch.randint(0, width - w + 1, (1,), generator=generator))
            return top, left, h, w
    return 0, 0, height, width


def _gray(x: torch.Tensor) -> torch.Tensor:
    """Luma of (..., 3, H, W)-shaped pixels in [0, 1], keeping the channel axis."""
    r, g, b = x.unbind(-3)
    return (0.299 * r + 0.587 * g + 0.114 * b).unsqueeze(-3)


def color_jitter(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Brightness, contrast and saturation of one clip (K, 3, H, W) in [0, 1]."""
    low, high = 1 - JITTER, 1 + JITTER
    x = x * _uniform(low, high, generator)
    mean = _gray(x).mean(dim=(-3, -2, -1), keepdim=True)
    x = (x - mean) * _uniform(low, high, generator) + mean
    gray = _gray(x)
    x = (x - gray) * _uniform(low, high, generator) + gray
    return x.clamp(0.0, 1.0)


def prepare_frames(frames: torch.Tensor, size: int, augment: bool = False,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """uint8 RGB clips (B, K, H, W, 3) -> model input (B, 3, K, size, size) in [-1, 1]."""
    x = frames.permute(0, 1, 4, 2, 3).float() / 255.0  # (B, K, 3, H, W)
    b, k, _, h, w = x.shape
    if not augment:
        if (h, w) != (size, size):
            x = F.interpolate(x.reshape(b * k, 3, h, w), size=(size, size), mode="bilinear",
                              align_corners=False, antialias=True).reshape(b, k, 3, size, size)
    else:
        clips = []
        for clip in x:
            top, left, ch, cw = _random_box(h, w, generator)
            crop = clip[:, :, top:top + ch, left:left + cw]
            crop = F.interpolate(crop, size=(size, size), mode="bilinear", align_corners=False,
                                 antialias=True)
            clips.append(color_jitter(crop, generator))
        x = torch.stack(clips)
    return (x * 2.0 - 1.0).permute(0, 2, 1, 3, 4).contiguous()
