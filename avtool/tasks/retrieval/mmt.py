"""The Multi-Modal Transformer video encoder (Gabeur thesis Ch. 3; digest retrieval-asr-002
§3.2, §7.3).

Input ``Ω(v) = F(v) + E(v) + T(v)``:

* F: each expert's rows through its own ``Linear(d_e, d)`` then L2 normalisation; each
  expert's [AGG] token is the max-pool of **all** its rows (before sub-sampling) through the
  same projection, or zero when the expert is missing;
* E: expert (token-type) embeddings; id 0 is the leading [CLS], expert e (sorted by name)
  has id e + 1;
* T: temporal embeddings, 0 = [AGG]/[CLS], 1 = unknown time, ``int(t) + 2`` for a row centred
  at t seconds (`avtool.tasks.retrieval.experts.position_ids`); ``temporal=False`` gives every
  row id 1 (the pretraining query encoder of Ch. 4 has no temporal embeddings).

Token layout: ``[CLS] [AGG_1] F^1_1..F^1_K [AGG_2] ...``; the embedding is
``LayerNorm(F + E + T)`` then dropout, into a post-LN BERT-style encoder (GELU, LayerNorm eps
1e-12, N(0, 0.02) init). Padding rows are masked keys, and so is a missing expert's [AGG];
[CLS] always attends, so no row is all-masked. Output: the L2-normalised [AGG] outputs,
(B, N, d).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


class MMTVideoEncoder(nn.Module):
    def __init__(self, experts: Sequence[tuple[str, int]], d_model: int = 512, layers: int = 4,
                 heads: int = 4, ff: int = 3072, dropout: float = 0.1, max_positions: int = 32,
                 temporal: bool = True) -> None:
        super().__init__()
        self.names = [name for name, _ in experts]
        self.temporal = temporal
        self.proj = nn.ModuleDict({name: nn.Linear(dim, d_model) for name, dim in experts})
        self.type_emb = nn.Embedding(len(self.names) + 1, d_model)
        self.pos_emb = nn.Embedding(max_positions, d_model)
        self.norm = nn.LayerNorm(d_model, eps=1e-12)
        self.drop = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(d_model, heads, ff, dropout, activation="gelu",
                                           batch_first=True, norm_first=False,
                                           layer_norm_eps=1e-12)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.apply(_bert_init)

    def forward(self, experts: dict[str, dict[str, torch.Tensor]],
                drop: Sequence[str] = ()) -> torch.Tensor:
        """(B, N, d) [AGG] outputs; experts in `drop` contribute no token (modality masking)."""
        first = experts[self.names[0]]["pooled"]
        b, device = first.shape[0], first.device
        tokens, types, positions, keep, agg_at = [], [], [], [], []
        d = self.pos_emb.embedding_dim
        tokens.append(torch.zeros(b, 1, d, device=device))
        types.append(torch.zeros(b, 1, dtype=torch.long, device=device))
        positions.append(torch.zeros(b, 1, dtype=torch.long, device=device))
        keep.append(torch.ones(b, 1, dtype=torch.bool, device=device))
        at = 1
        for e, name in enumerate(self.names):
            x = experts[name]
            present = x["present"] & (name not in drop)
            agg = F.normalize(self.proj[name](x["pooled"]), dim=-1) * present[:, None]
            rows = F.normalize(self.proj[name](x["feats"]), dim=-1)
            valid = x["valid"] & present[:, None]
            rows = rows * valid[..., None]
            k = rows.shape[1]
            tokens += [agg[:, None], rows]
            types.append(torch.full((b, 1 + k), e + 1, dtype=torch.long, device=device))
            pos = x["pos"] if self.temporal else torch.ones_like(x["pos"])
            positions += [torch.zeros(b, 1, dtype=torch.long, device=device), pos]
            keep += [present[:, None], valid]
            agg_at.append(at)
            at += 1 + k
        h = torch.cat(tokens, 1) + self.type_emb(torch.cat(types, 1)) \
            + self.pos_emb(torch.cat(positions, 1))
        h = self.drop(self.norm(h))
        h = self.encoder(h, src_key_padding_mask=~torch.cat(keep, 1))
        return F.normalize(h[:, agg_at], dim=-1)


def _bert_init(module: nn.Module) -> None:
    if isinstance(module, nn.Linear | nn.Embedding):
        nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)
