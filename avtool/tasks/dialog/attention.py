"""The two attentions of the multimodal-attention network (Hori et al. 2019, Eqs. 6-8).

The paper gives the weights only as "computed in the same manner as [Bahdanau et al.]", so
both follow Hori et al. (ICCV 2017), the reconstruction of digest avsd-004 §2.2:

* temporal attention per stream k, recomputed at every output step i from the decoder state
  s_{i-1}: e_{k,i,t} = w_k^T tanh(W_k s_{i-1} + V_k h_{k,t} + b_k), alpha = masked softmax
  over t (padding gets exactly 0), context c_{k,i} = sum_t alpha h_{k,t} (a sum, Eq. 6);
* modality attention: d_{k,i} = W_ck c_{k,i} + b_ck (Eq. 8), v_{k,i} = w_B^T tanh(W_B s_{i-1}
  + V_Bk c_{k,i} + b_Bk), beta = softmax over k, g_i = tanh(sum_k beta_{k,i} d_{k,i}) (Eq. 7).

The V h terms do not depend on the step: `TemporalAttention.keys` computes them once per
dialog turn.
"""

from __future__ import annotations

import torch
import torch.nn as nn


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Softmax over the last axis where `mask` is True; masked positions get exactly 0."""
    scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1).nan_to_num(0.0)


class TemporalAttention(nn.Module):
    """Additive attention over one stream, queried by a projection of the decoder state."""

    def __init__(self, value_size: int, attention: int) -> None:
        super().__init__()
        self.key = nn.Linear(value_size, attention)
        self.score = nn.Linear(attention, 1, bias=False)

    def keys(self, values: torch.Tensor) -> torch.Tensor:
        return self.key(values)  # (B, T, A), once per turn

    def forward(self, query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor,
                mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """query (B, A) = W s, keys (B, T, A), values (B, T, D), mask (B, T) ->
        (context (B, D), weights (B, T))."""
        scores = self.score(torch.tanh(keys + query[:, None])).squeeze(-1)
        weights = masked_softmax(scores, mask)
        return torch.bmm(weights[:, None], values).squeeze(1), weights


class ModalityFusion(nn.Module):
    """Eqs. 7-8: each context -> d_k (fusion width) and a modality score; g = tanh(sum beta d)."""

    def __init__(self, context_sizes: list[int], state_size: int, fusion: int,
                 attention: int) -> None:
        super().__init__()
        self.fusion, self.attention = fusion, attention
        # one Linear per stream gives both d_k (W_ck) and V_Bk c_k
        self.project = nn.ModuleList(nn.Linear(size, fusion + attention)
                                     for size in context_sizes)
        self.query = nn.Linear(state_size, attention, bias=False)
        self.score = nn.Linear(attention, 1, bias=False)

    def forward(self, state: torch.Tensor, contexts: list[torch.Tensor]
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """state (B, S), contexts [(B, D_k)] -> (g (B, F), beta (B, K))."""
        both = torch.stack([p(c) for p, c in zip(self.project, contexts, strict=True)], dim=1)
        d, keys = both.split([self.fusion, self.attention], dim=-1)  # (B, K, F), (B, K, A)
        scores = self.score(torch.tanh(keys + self.query(state)[:, None])).squeeze(-1)
        beta = torch.softmax(scores, dim=-1)
        return torch.tanh((beta[..., None] * d).sum(dim=1)), beta
