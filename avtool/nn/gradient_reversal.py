"""Gradient reversal (Ganin & Lempitsky, 2015): identity forward, gradient x (-alpha) backward.

Placed in front of a domain (e.g. modality) discriminator, it trains the features below it to
fool the discriminator while the discriminator itself learns normally.
"""

from __future__ import annotations

import torch
import torch.nn as nn

__all__ = ["GradientReversal", "grad_reverse"]


class _ReverseGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, alpha: float) -> torch.Tensor:
        ctx.alpha = float(alpha)
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return -ctx.alpha * grad, None


def grad_reverse(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """Identity in the forward pass; multiplies the incoming gradient by ``-alpha``."""
    return _ReverseGrad.apply(x, alpha)


class GradientReversal(nn.Module):
    """Module form of `grad_reverse`; `alpha` may be changed between steps."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return grad_reverse(x, self.alpha)
