"""ResNet trunks for speaker embedding (Nagrani thesis, Table 2.7): ResNet-34, ResNet-50 and
Thin-ResNet-34.

Input ``(B, T, F)`` spectrograms (time first), output frame-level descriptors ``(B, D, T')`` from
``fc1``, a convolution that spans every frequency row left by the trunk (Table 2.7's "9×1" /
"7×1"), shared over time. The aggregation layer follows (TAP, NetVLAD, GhostVLAD).

=================  =========================  ===============================  ==================
layer              ResNet-34                  ResNet-50                        Thin-ResNet-34
=================  =========================  ===============================  ==================
conv1              7×7, 64, stride 2          7×7, 64, stride 2                7×7, 64, stride 1
pool1              3×3 max, stride 2          3×3 max, stride 2                3×3 max, stride 2
conv2_x            [3×3,64]×2 ×3              [1×1,64; 3×3,64; 1×1,256] ×3     [48,48,96] ×2
conv3_x (s 2)      [3×3,128]×2 ×4             [128,128,512] ×4                 [96,96,128] ×3
conv4_x (s 2)      [3×3,256]×2 ×6             [256,256,1024] ×6                [128,128,256] ×3
conv5_x (s 2)      [3×3,512]×2 ×3             [512,512,2048] ×3                [256,256,512] ×3
freq. pool         -                          -                                3×1 max, stride 2×1
fc1                rows×1, 512                rows×1, 2048                     rows×1, 512
=================  =========================  ===============================  ==================

Choices where the table is silent (see the digest §4.2 and §10):

* Padding: conv1 pads 3; ResNet-34/50's pool1 pads 1, so a 257-bin input (512-point FFT) leaves
  exactly the table's 9 frequency rows for fc1 (512 bins would leave 16; fc1 always spans what
  is left). Thin-ResNet's pool1 is the thesis's 3×3/2 without padding, which gives the same
  sizes as the released code's 2×2/2: 257 × 250 -> 128 × 124 -> ... -> 16 rows -> frequency
  max-pool (3×1, stride 2×1, before fc1 as in the code; the table lists a "3×N max pool" after
  it) -> 7 rows -> fc1 7×1 (the table's value), 16 time steps for 2.5 s.
* Bottleneck blocks put the stride on their first 1×1 convolution (the original ResNet and the
  released Keras Thin-ResNet); ResNet-34's basic blocks on the first 3×3. BatchNorm precedes
  every ReLU. Thin-ResNet's fc1 has a bias and a ReLU and no BatchNorm (the code's ``x_fc``);
  ResNet-34/50's fc1 is conv + BatchNorm + ReLU.
* ``width`` scales every channel count (1.0 = the paper's network; smaller is for CPU smoke runs).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class ResNetSpec:
    block: str                                     # "basic" or "bottleneck"
    stem_stride: int
    pool_padding: int
    stages: tuple[tuple[tuple[int, ...], int], ...]  # (widths, blocks) for conv2_x..conv5_x
    fc_dim: int
    freq_pool: bool
    fc_batch_norm: bool


SPECS = {
    "resnet34": ResNetSpec("basic", 2, 1, (((64,), 3), ((128,), 4), ((256,), 6), ((512,), 3)),
                           512, False, True),
    "resnet50": ResNetSpec("bottleneck", 2, 1, (((64, 64, 256), 3), ((128, 128, 512), 4),
                                                ((256, 256, 1024), 6), ((512, 512, 2048), 3)),
                           2048, False, True),
    "thin-resnet34": ResNetSpec("bottleneck", 1, 0, (((48, 48, 96), 2), ((96, 96, 128), 3),
                                                     ((128, 128, 256), 3), ((256, 256, 512), 3)),
                                512, True, False),
}


def _conv_out(n: int, kernel: int, stride: int, padding: int = 0) -> int:
    return (n + 2 * padding - kernel) // stride + 1


def _bn_relu(channels: int) -> list[nn.Module]:
    return [nn.BatchNorm2d(channels), nn.ReLU(inplace=True)]


class BasicBlock(nn.Module):
    """[3×3, c; 3×3, c] with a residual connection (ResNet-34)."""

    def __init__(self, cin: int, widths: tuple[int, ...], stride: int) -> None:
        super().__init__()
        (c,) = widths
        self.body = nn.Sequential(
            nn.Conv2d(cin, c, 3, stride, 1, bias=False), *_bn_relu(c),
            nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c))
        self.shortcut = _projection(cin, c, stride)
        self.out_channels = c

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


class Bottleneck(nn.Module):
    """[1×1, c1; 3×3, c2; 1×1, c3] with a residual connection; stride on the first 1×1."""

    def __init__(self, cin: int, widths: tuple[int, ...], stride: int) -> None:
        super().__init__()
        c1, c2, c3 = widths
        self.body = nn.Sequential(
            nn.Conv2d(cin, c1, 1, stride, bias=False), *_bn_relu(c1),
            nn.Conv2d(c1, c2, 3, 1, 1, bias=False), *_bn_relu(c2),
            nn.Conv2d(c2, c3, 1, bias=False), nn.BatchNorm2d(c3))
        self.shortcut = _projection(cin, c3, stride)
        self.out_channels = c3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


def _projection(cin: int, cout: int, stride: int) -> nn.Module:
    if cin == cout and stride == 1:
        return nn.Identity()
    return nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))


class ResNetTrunk(nn.Module):
    """A Table 2.7 trunk up to fc1: ``(B, T, n_bins) -> (B, fc_dim, T')``.

    Args:
        arch: ``resnet34``, ``resnet50`` or ``thin-resnet34``.
        n_bins: frequency bins of the input spectrogram (257 for the default ``spectrogram``).
        width: channel multiplier (1.0 = the paper).
    """

    min_frames = 3

    def __init__(self, arch: str = "thin-resnet34", n_bins: int = 257, width: float = 1.0) -> None:
        super().__init__()
        spec = SPECS[arch]
        self.arch, self.spec = arch, spec

        def w(n: int) -> int:
            return max(1, int(round(n * width)))

        stem = w(64)
        self.stem = nn.Sequential(
            nn.Conv2d(1, stem, 7, spec.stem_stride, 3, bias=False), *_bn_relu(stem),
            nn.MaxPool2d(3, 2, spec.pool_padding))
        block = BasicBlock if spec.block == "basic" else Bottleneck
        stages, cin = [], stem
        for index, (widths, blocks) in enumerate(spec.stages):
            layers = []
            for b in range(blocks):
                stride = 2 if (index > 0 and b == 0) else 1
                layers.append(block(cin, tuple(w(c) for c in widths), stride))
                cin = layers[-1].out_channels
            stages.append(nn.Sequential(*layers))
        self.stages = nn.ModuleList(stages)  # conv2_x .. conv5_x
        self.freq_pool = nn.MaxPool2d((3, 1), (2, 1)) if spec.freq_pool else nn.Identity()
        rows = self.frequency_rows(n_bins)
        if rows < 1:
            raise ValueError(f"{arch} needs more frequency bins than {n_bins}")
        fc = w(spec.fc_dim)
        if spec.fc_batch_norm:
            self.fc1 = nn.Sequential(nn.Conv2d(cin, fc, (rows, 1), bias=False), *_bn_relu(fc))
        else:
            self.fc1 = nn.Sequential(nn.Conv2d(cin, fc, (rows, 1)), nn.ReLU(inplace=True))
        self.n_bins, self.out_dim, self.fc1_rows = n_bins, fc, rows

    def frequency_rows(self, n_bins: int) -> int:
        """Frequency rows fc1 spans (9 for ResNet-34/50 and 7 for Thin-ResNet at 257 bins)."""
        n = _conv_out(n_bins, 7, self.spec.stem_stride, 3)
        n = _conv_out(n, 3, 2, self.spec.pool_padding)
        for _ in self.spec.stages[1:]:
            n = _conv_out(n, 1, 2)
        return _conv_out(n, 3, 2) if self.spec.freq_pool else n

    def time_steps(self, frames: int) -> int:
        """Descriptors per input of ``frames`` frames (16 for Thin-ResNet at 250)."""
        n = _conv_out(frames, 7, self.spec.stem_stride, 3)
        n = _conv_out(n, 3, 2, self.spec.pool_padding)
        for _ in self.spec.stages[1:]:
            n = _conv_out(n, 1, 2)
        return n

    def lower_layers(self) -> list[nn.Module]:
        """conv1..conv4_x: what the relation-module recipe freezes."""
        return [self.stem, *self.stages[:3]]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x.transpose(1, 2).unsqueeze(1))  # (B, C, F, T)
        for stage in self.stages:
            x = stage(x)
        return self.fc1(self.freq_pool(x)).squeeze(2)
