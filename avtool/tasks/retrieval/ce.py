"""Collaborative Experts video encoder (Liu et al. 2019; Nagrani thesis Ch. 9; digest
crossmodal-retrieval-fusion-003 §5.2).

1. Temporal aggregation per expert: average pooling for the slow visual experts, NetVLAD for
   audio and speech (`vlad` names them; `avtool.tasks.retrieval.gating.MaskedNetVLAD`);
2. a linear projection of each aggregate to the common dimension d;
3. collaborative gating (thesis form, Eqs. 9.1-9.2): ``T_i = h(Σ_{j≠i} g([Ψ_i, Ψ_j]))`` over
   the experts present in the video, ``Ψ_i ← Ψ_i ⊙ σ(T_i)``; g and h are two-layer ReLU MLPs
   shared by every pair (the released code averages over pairs and folds T into the GEM's
   gate: not done here);
4. one gated embedding module per expert (L2-normalised output).

A missing expert (no rows) aggregates to zeros, takes no part in any other expert's gating,
and its output is zeroed (its mixture weight is renormalised away by the similarity).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from avtool.tasks.retrieval.gating import GatedEmbeddingUnit, MaskedNetVLAD


class CollaborativeGating(nn.Module):
    def __init__(self, d: int) -> None:
        super().__init__()
        self.g = nn.Sequential(nn.Linear(2 * d, d), nn.ReLU(), nn.Linear(d, d))
        self.h = nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Linear(d, d))

    def forward(self, psi: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
        """psi (B, N, d), present (B, N) bool -> gated (B, N, d)."""
        b, n, d = psi.shape
        pairs = torch.cat([psi[:, :, None].expand(b, n, n, d),
                           psi[:, None].expand(b, n, n, d)], -1)
        p = present.to(psi.dtype)
        w = p[:, :, None] * p[:, None, :] * (1 - torch.eye(n, device=psi.device))
        t = self.h((self.g(pairs) * w[..., None]).sum(2))
        return psi * torch.sigmoid(t)


class CEVideoEncoder(nn.Module):
    def __init__(self, experts: Sequence[tuple[str, int]], vlad: Sequence[str],
                 d_model: int = 768, clusters: int = 16, gating: bool = True,
                 batch_norm: bool = True) -> None:
        super().__init__()
        self.names = [name for name, _ in experts]
        self.vlad_names = set(vlad)
        self.pool = nn.ModuleDict({name: MaskedNetVLAD(dim, clusters)
                                   for name, dim in experts if name in self.vlad_names})
        self.proj = nn.ModuleDict({
            name: nn.Linear(self.pool[name].out_dim if name in self.vlad_names else dim, d_model)
            for name, dim in experts})
        self.gating = CollaborativeGating(d_model) if gating else None
        self.gem = nn.ModuleDict({name: GatedEmbeddingUnit(d_model, d_model, batch_norm)
                                  for name in self.names})

    def forward(self, experts: dict[str, dict[str, torch.Tensor]],
                drop: Sequence[str] = ()) -> torch.Tensor:
        aggregated, present = [], []
        for name in self.names:
            x = experts[name]
            here = x["present"] & (name not in drop)
            valid = x["valid"] & here[:, None]
            if name in self.vlad_names:
                agg = self.pool[name](x["feats"], valid)
            else:
                m = valid[..., None].to(x["feats"].dtype)
                agg = (x["feats"] * m).sum(1) / m.sum(1).clamp_min(1.0)
            aggregated.append(self.proj[name](agg) * here[:, None])
            present.append(here)
        psi = torch.stack(aggregated, 1)
        mask = torch.stack(present, 1)
        if self.gating is not None:
            psi = self.gating(psi, mask)
        out = [self.gem[name](psi[:, i]) for i, name in enumerate(self.names)]
        return torch.stack(out, 1) * mask[..., None]


def default_vlad_experts(specs) -> list[str]:
    """CE's choice: NetVLAD for audio and speech (audio-modality extractors) and for imported
    features CE itself aggregates so (config ``"temporal": "vlad"``: CE's audio, speech, OCR),
    average pooling for the visual ones."""
    from avtool.features import extractors

    out = []
    for spec in specs:
        try:
            modality = getattr(extractors.get(spec.extractor), "modality", "video")
        except Exception:
            modality = "video"
        if modality == "audio" or spec.config.get("temporal") == "vlad":
            out.append(spec.name)
    return out

