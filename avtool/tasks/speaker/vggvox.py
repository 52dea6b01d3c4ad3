"""VGGVox VGG-M trunk (Nagrani thesis, Table 2.6; VoxCeleb1, Interspeech 2017).

Input: a spectrogram batch ``(B, T, F)`` (time first, as the feature store keeps it), treated as a
one-channel image ``F × T``. Output: frame-level descriptors ``(B, 4096, T')`` from ``fc6``, which
the aggregation layer (``apool6`` = temporal average pooling) turns into one vector.

Layers (support, filters, stride), with data sizes for a 512 × 300 input (3 s, the thesis's
``spectrogram:variant=vgg-m``):

=======  =====  =====  ======  ==========
layer    supp.  filts  stride  out F × T
=======  =====  =====  ======  ==========
conv1    7×7    96     2×2     254 × 148   (zero padding 1, as in the released code)
mpool1   3×3    -      2×2     126 × 73
conv2    5×5    256    2×2     62 × 36     (padding 1)
mpool2   3×3    -      2×2     30 × 17
conv3    3×3    384    1×1     30 × 17     (padding 1)
conv4    3×3    256    1×1     30 × 17
conv5    3×3    256    1×1     30 × 17
mpool5   5×3    -      3×2     9 × 8
fc6      9×1    4096   1×1     1 × 8       (spans every frequency row left: 9 for 512 bins)
=======  =====  =====  ======  ==========

``apool6`` (TAP), ``fc7`` (4096 -> 1024, the embedding layer) and ``fc8`` (the classifier) are
added by :class:`avtool.tasks.speaker.network.SpeakerNet` and the loss head. Without batch norm
and with a 1,251-way fc8 this is 17,898,531 parameters, the count Table 2.6 implies (the
thesis's "67M" cannot be reproduced from the table; see the digest §10).

``batch_norm=True`` (the default) adds BatchNorm before every ReLU as the Keras port and the
Ch. 4 student do; it trains far more reliably from scratch. ``width`` scales every channel count
(1.0 = the paper's network; smaller values are for CPU smoke runs only). A shorter input than
``min_frames`` (65 frames = 0.65 s) is too short for mpool5.
"""

from __future__ import annotations

import torch
from torch import nn


def _conv_out(n: int, kernel: int, stride: int, padding: int = 0) -> int:
    return (n + 2 * padding - kernel) // stride + 1


def _scaled(n: int, width: float) -> int:
    return max(1, int(round(n * width)))


class VGGMTrunk(nn.Module):
    """VGG-M up to fc6: ``(B, T, n_bins) -> (B, fc6_dim, T')``."""

    min_frames = 65

    def __init__(self, n_bins: int = 512, width: float = 1.0, batch_norm: bool = True) -> None:
        super().__init__()
        c1, c2, c3, c4, c5 = (_scaled(n, width) for n in (96, 256, 384, 256, 256))
        fc6 = _scaled(4096, width)
        rows = self.frequency_rows(n_bins)
        if rows < 1:
            raise ValueError(f"VGG-M needs at least 65 frequency bins, got {n_bins}")

        def block(cin: int, cout: int, kernel, stride=1, padding=0) -> list[nn.Module]:
            layers: list[nn.Module] = [nn.Conv2d(cin, cout, kernel, stride, padding)]
            if batch_norm:
                layers.append(nn.BatchNorm2d(cout))
            layers.append(nn.ReLU(inplace=True))
            return layers

        self.features = nn.Sequential(
            *block(1, c1, 7, 2, 1), nn.MaxPool2d(3, 2),            # conv1, mpool1
            *block(c1, c2, 5, 2, 1), nn.MaxPool2d(3, 2),           # conv2, mpool2
            *block(c2, c3, 3, 1, 1),                               # conv3
            *block(c3, c4, 3, 1, 1),                               # conv4
            *block(c4, c5, 3, 1, 1), nn.MaxPool2d((5, 3), (3, 2)),  # conv5, mpool5
        )
        self.fc6 = nn.Sequential(*block(c5, fc6, (rows, 1)))
        self.n_bins = n_bins
        self.out_dim = fc6
        self.fc6_rows = rows
        self._conv4_end = 4 * (3 if batch_norm else 2) + 2  # index after conv4's ReLU

    def lower_layers(self) -> list[nn.Module]:
        """conv1..conv4: what the relation-module recipe freezes (thesis: "up to conv4_x")."""
        return [self.features[: self._conv4_end]]

    @staticmethod
    def frequency_rows(n_bins: int) -> int:
        """Frequency rows left after mpool5 (9 for the thesis's 512 bins)."""
        n = _conv_out(n_bins, 7, 2, 1)
        n = _conv_out(n, 3, 2)
        n = _conv_out(n, 5, 2, 1)
        n = _conv_out(n, 3, 2)
        return _conv_out(n, 5, 3)

    @staticmethod
    def time_steps(frames: int) -> int:
        """Descriptors left after mpool5 for ``frames`` input frames (8 for 300, 2 for 100)."""
        n = _conv_out(frames, 7, 2, 1)
        n = _conv_out(n, 3, 2)
        n = _conv_out(n, 5, 2, 1)
        n = _conv_out(n, 3, 2)
        return _conv_out(n, 3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.transpose(1, 2).unsqueeze(1)  # (B, 1, F, T)
        x = self.fc6(self.features(x))      # (B, fc6, 1, T')
        return x.squeeze(2)
