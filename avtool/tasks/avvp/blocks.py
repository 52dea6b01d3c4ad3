"""AVVP-specific building blocks of the Lamba et al. (Interspeech 2021) variants, used by `han.py`.

* `ModalityDiscriminator`: the released MLP d -> 128 -> 10 -> 1 with BatchNorm and ReLU; one
  logit per (clip, snippet, modality) feature, label audio = 0, visual = 1. It sits behind
  gradient reversal (:mod:`avtool.nn.gradient_reversal`).
* `feed_forward`: the position-wise FFN of HAN and its variants.

The attention layers they use are in :mod:`avtool.nn.attention`.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["ModalityDiscriminator", "feed_forward"]


class ModalityDiscriminator(nn.Module):
    """Audio-or-visual classifier over d-dim features: (..., d) -> (...) logits (visual = 1)."""

    def __init__(self, d_model: int = 512, hidden: tuple[int, int] = (128, 10)) -> None:
        super().__init__()
        h1, h2 = hidden
        self.net = nn.Sequential(
            nn.Linear(d_model, h1), nn.BatchNorm1d(h1), nn.ReLU(),
            nn.Linear(h1, h2), nn.BatchNorm1d(h2), nn.ReLU(),
            nn.Linear(h2, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lead = x.shape[:-1]
        return self.net(x.reshape(-1, x.shape[-1])).reshape(lead)


def feed_forward(x: torch.Tensor, linear1: nn.Linear, linear2: nn.Linear,
                 dropout: nn.Dropout) -> torch.Tensor:
    """``W2 . Drop(ReLU(W1 x))``, the 512-512 FFN of HAN and its variants."""
    return linear2(dropout(F.relu(linear1(x))))
