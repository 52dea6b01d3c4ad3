"""Temporal aggregation of frame-level descriptors (Nagrani thesis §2.5.3): TAP, NetVLAD, GhostVLAD.

Every module takes descriptors shaped ``(batch, dim, time)`` and returns one vector per item,
``(batch, out_dim)``; ``out_dim`` is an attribute so the embedding layer can be sized from it.

* :class:`TemporalAveragePool` (``tap``): the mean over time. Any length works, which is the
  thesis's "variable average pooling" at test time (VGG-M ``apool6``, ResNet ``pool_time``).
* :class:`NetVLAD` (``netvlad``): Eq. 2.1. Soft assignment ``softmax_k(w_k·x_t + b_k)`` of each
  descriptor to K clusters, residuals to the learnt centres summed over time, each cluster's
  row L2-normalised (intra-normalisation), rows flattened to ``K·dim``. No global L2 after
  flattening (the released Keras ``VladPooling`` has none either).
* :class:`NetVLAD` with ``ghost_clusters=G`` (``ghostvlad``, Zhong et al. 2018): K+G clusters take
  part in the soft assignment, only the K normal ones are kept, so the ghosts soak up noisy
  frames. Thesis: G = 2; K is not stated, the released model uses K = 8 (our default).

Differences from the released code (WeidiXie/VGG-Speaker-Recognition): there, the assignment
scores come from a separate (7×1) convolution over the trunk's last feature map, not from the
descriptors themselves; here they follow Eq. 2.1 (a linear map of each descriptor). Centres use
orthogonal initialisation as in the code.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class TemporalAveragePool(nn.Module):
    """Mean over the time axis: ``(B, D, T) -> (B, D)``."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.out_dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=-1)


class NetVLAD(nn.Module):
    """NetVLAD over time (Eq. 2.1); ``ghost_clusters > 0`` makes it GhostVLAD.

    Args:
        dim: descriptor dimension D.
        clusters: normal clusters K (kept in the output).
        ghost_clusters: ghost clusters G (assigned to, then dropped).

    Shapes: ``(B, D, T) -> (B, K·D)``.
    """

    def __init__(self, dim: int, clusters: int = 8, ghost_clusters: int = 0) -> None:
        super().__init__()
        if clusters < 1 or ghost_clusters < 0:
            raise ValueError(f"need clusters >= 1 and ghost_clusters >= 0, got {clusters}, "
                             f"{ghost_clusters}")
        self.clusters = clusters
        self.ghost_clusters = ghost_clusters
        total = clusters + ghost_clusters
        self.assign = nn.Conv1d(dim, total, kernel_size=1)  # w_k, b_k
        self.centres = nn.Parameter(torch.empty(total, dim))
        nn.init.orthogonal_(self.centres)
        self.out_dim = clusters * dim

    def assignments(self, x: torch.Tensor) -> torch.Tensor:
        """Soft assignment of every descriptor to the K+G clusters: ``(B, K+G, T)``."""
        return F.softmax(self.assign(x), dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.assignments(x)
        # V[b,k,:] = sum_t a[b,k,t] * (x[b,:,t] - c_k)
        v = torch.einsum("bkt,bdt->bkd", a, x) - a.sum(dim=-1, keepdim=True) * self.centres
        v = v[:, : self.clusters]
        v = F.normalize(v, dim=-1)
        return v.flatten(1)


class GhostVLAD(NetVLAD):
    """NetVLAD with ghost clusters (defaults K = 8, G = 2 as in the released model)."""

    def __init__(self, dim: int, clusters: int = 8, ghost_clusters: int = 2) -> None:
        super().__init__(dim, clusters, ghost_clusters)
