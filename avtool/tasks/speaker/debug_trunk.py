"""The ``debug`` speaker trunk: a tiny CNN so tests can train a speaker model in about a second.

Not a paper model; registered in :mod:`avtool.tasks.speaker.zoo` beside the VGGVox trunks.
"""

from __future__ import annotations

import torch
from torch import nn


class DebugTrunk(nn.Module):
    """Two strided convolutions and a frequency-spanning fc: a model for one-second tests."""

    min_frames = 1

    def __init__(self, n_bins: int, width: float = 1.0) -> None:
        super().__init__()
        c1, c2 = max(1, round(8 * width)), max(1, round(16 * width))
        rows = (((n_bins - 1) // 2) // 2) + 1
        self.body = nn.Sequential(
            nn.Conv2d(1, c1, 3, 2, 1), nn.BatchNorm2d(c1), nn.ReLU(inplace=True),
            nn.Conv2d(c1, c2, 3, 2, 1), nn.BatchNorm2d(c2), nn.ReLU(inplace=True),
            nn.Conv2d(c2, 32, (rows, 1)), nn.ReLU(inplace=True))
        self.out_dim = 32

    def lower_layers(self) -> list[nn.Module]:
        return [self.body[:3]]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x.transpose(1, 2).unsqueeze(1)).squeeze(2)
