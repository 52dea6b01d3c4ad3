"""Gated embedding units and the masked NetVLAD both retrieval models share.

* `GatedEmbeddingUnit` (MoEE's GEU, MMT's ``txt_pro="gbn"``):
  ``L2norm(y ⊙ σ(BN(W₂y + b₂)))`` with ``y = W₁x + b₁``; ``batch_norm=False`` drops the BN (the
  ``gem`` variant, for tiny batches).
* `MaskedNetVLAD`: `avtool.nn.pooling.NetVLAD` over padded sequences: padding rows get no
  cluster assignment, so a padded batch gives what each sequence alone would.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from avtool.nn.pooling import NetVLAD


class GatedEmbeddingUnit(nn.Module):
    def __init__(self, din: int, dout: int, batch_norm: bool = True) -> None:
        super().__init__()
        self.fc = nn.Linear(din, dout)
        self.gate = nn.Linear(dout, dout)
        self.bn = nn.BatchNorm1d(dout) if batch_norm else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.fc(x)
        g = self.gate(y)
        if isinstance(self.bn, nn.BatchNorm1d) and self.training and g.shape[0] < 2:
            g = F.batch_norm(g, self.bn.running_mean, self.bn.running_var, self.bn.weight,
                             self.bn.bias, training=False)
        else:
            g = self.bn(g)
        return F.normalize(y * torch.sigmoid(g), dim=-1)


class MaskedNetVLAD(nn.Module):
    """(B, T, D) rows and a (B, T) validity mask -> (B, K·D), L2-normalised."""

    def __init__(self, dim: int, clusters: int) -> None:
        super().__init__()
        self.vlad = NetVLAD(dim, clusters)
        self.out_dim = self.vlad.out_dim

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        xt = x.transpose(1, 2)  # (B, D, T)
        a = self.vlad.assignments(xt) * valid[:, None, :].to(x.dtype)
        v = torch.einsum("bkt,bdt->bkd", a, xt) - a.sum(-1, keepdim=True) * self.vlad.centres
        v = F.normalize(v[:, : self.vlad.clusters], dim=-1)
        return F.normalize(v.flatten(1), dim=-1)
