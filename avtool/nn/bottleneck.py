"""Attention-bottleneck fusion (MBT: Nagrani et al., NeurIPS 2021), the encoder of AVATAR.

Each modality has its own stack of pre-LN transformer blocks (LN -> multi-head self-attention
-> residual; LN -> MLP with GELU -> residual), as in ViT and MBT's released code
(``share_encoder=False``). Layers before ``fusion_layer`` see only their own modality's tokens.
From ``fusion_layer`` on, a few learned bottleneck tokens z (init N(0, 0.02)) join every
modality: block_m runs on ``concat(x_m, z)``, each modality keeps its own tokens, and the
bottleneck becomes the mean of the modalities' updated copies. The modalities therefore
exchange information only through z. The output is LayerNorm of each modality's tokens (one
shared LayerNorm); the bottleneck tokens are not part of it.

With one modality, or ``fusion_layer == layers``, the encoder is a plain ViT stack per modality
and holds no bottleneck tokens.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class PreNormBlock(nn.Module):
    """ViT's encoder block: ``x + MHA(LN(x))``, then ``x + MLP(LN(x))``."""

    def __init__(self, d_model: int, heads: int, mlp: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.attn = nn.MultiheadAttention(d_model, heads, dropout=dropout, batch_first=True)
        self.norm2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, mlp), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(mlp, d_model), nn.Dropout(dropout))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, pad_mask: torch.Tensor | None = None) -> torch.Tensor:
        """`x` (B, N, d); `pad_mask` (B, N), True where a token is padding."""
        h = self.norm1(x)
        x = x + self.drop(self.attn(h, h, h, key_padding_mask=pad_mask, need_weights=False)[0])
        return x + self.mlp(self.norm2(x))


class BottleneckFusionEncoder(nn.Module):
    """MBT over named modalities: ``{m: (B, N_m, d)} -> {m: (B, N_m, d)}`` (module docstring).

    ``forward(..., trace=[])`` appends every layer's modality tokens (before the final
    LayerNorm) to the list, so tests can check where cross-modal information enters.
    """

    def __init__(self, modalities: Sequence[str], d_model: int, layers: int, heads: int,
                 mlp: int, fusion_layer: int, bottlenecks: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.modalities = tuple(modalities)
        self.layers, self.fusion_layer = layers, fusion_layer
        self.blocks = nn.ModuleDict({m: nn.ModuleList(PreNormBlock(d_model, heads, mlp, dropout)
                                                      for _ in range(layers))
                                     for m in self.modalities})
        fused = len(self.modalities) > 1 and fusion_layer < layers
        self.bottleneck = (nn.Parameter(torch.randn(1, bottlenecks, d_model) * 0.02)
                           if fused else None)
        self.norm = nn.LayerNorm(d_model)

    def forward(self, tokens: dict[str, torch.Tensor],
                pad_masks: dict[str, torch.Tensor | None] | None = None,
                trace: list[dict[str, torch.Tensor]] | None = None) -> dict[str, torch.Tensor]:
        masks = {m: (pad_masks or {}).get(m) for m in self.modalities}
        x = {m: tokens[m] for m in self.modalities}
        z = None
        for i in range(self.layers):
            if self.bottleneck is None or i < self.fusion_layer:
                x = {m: self.blocks[m][i](x[m], masks[m]) for m in self.modalities}
            else:
                if z is None:
                    z = self.bottleneck.expand(x[self.modalities[0]].shape[0], -1, -1)
                updated = []
                for m in self.modalities:
                    n = x[m].shape[1]
                    mask = masks[m]
                    if mask is not None:
                        mask = torch.cat([mask, mask.new_zeros(mask.shape[0], z.shape[1])], 1)
                    y = self.blocks[m][i](torch.cat([x[m], z], dim=1), mask)
                    x[m] = y[:, :n]
                    updated.append(y[:, n:])
                z = torch.stack(updated).mean(dim=0)
            if trace is not None:
                trace.append(dict(x))
        return {m: self.norm(x[m]) for m in self.modalities}
