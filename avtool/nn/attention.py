"""Attention layers with one call signature, ``attn(query, key_value) -> (B, Tq, d)``, so a
network can swap one for the other.

* `MultiHeadAttention`: `nn.MultiheadAttention` (batch first) behind that signature.
* `GlobalContextAttention`: global-context-aware attention (GCAA, after Xuan et al., AAAI
  2020), the intended version of the code released with Lamba et al. (Interspeech 2021): the
  query (key) of every position is gated between its own projection and the projection of the
  sequence mean, ``Q = (1 - l_q) Q_x + l_q Q_c`` with a scalar gate
  ``l_q = sigmoid(v_qx.Q_x + v_qc.Q_c)`` per position (the same for keys), then scaled
  dot-product attention over ``V = X_k W_v``. ``time0_bug=True`` reproduces the release's
  indexing slip: the attention output of snippet 0 is broadcast to every snippet.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn

__all__ = ["GlobalContextAttention", "MultiHeadAttention"]


class MultiHeadAttention(nn.Module):
    """Scaled dot-product multi-head attention, ``(query, key_value) -> (B, Tq, d)``."""

    def __init__(self, d_model: int, heads: int = 1, dropout: float = 0.1) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, heads, dropout=dropout, batch_first=True)

    def forward(self, query: torch.Tensor, key_value: torch.Tensor) -> torch.Tensor:
        return self.attn(query, key_value, key_value, need_weights=False)[0]


class GlobalContextAttention(nn.Module):
    """Global-context-aware attention, ``(query, key_value) -> (B, Tq, d)``.

    Every projection is d -> d with bias; the gates are d -> 1 (one scalar per position and
    head-independent); heads split the gated Q, K and V as in multi-head attention; dropout
    acts on the attention weights; `out` projects back to d.
    """

    def __init__(self, d_model: int, heads: int = 1, dropout: float = 0.1,
                 time0_bug: bool = False) -> None:
        super().__init__()
        if d_model % heads:
            raise ValueError(f"d_model {d_model} is not divisible by {heads} heads")
        self.heads, self.time0_bug = heads, time0_bug
        self.q_x, self.k_x, self.v = (nn.Linear(d_model, d_model) for _ in range(3))
        self.q_c, self.k_c = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)
        self.gate_qx, self.gate_qc = nn.Linear(d_model, 1), nn.Linear(d_model, 1)
        self.gate_kx, self.gate_kc = nn.Linear(d_model, 1), nn.Linear(d_model, 1)
        self.out = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        return x.reshape(b, t, self.heads, d // self.heads).transpose(1, 2)

    def forward(self, query: torch.Tensor, key_value: torch.Tensor) -> torch.Tensor:
        q_x, k_x = self.q_x(query), self.k_x(key_value)
        q_c = self.q_c(query.mean(dim=1, keepdim=True))  # (B, 1, d): the global context
        k_c = self.k_c(key_value.mean(dim=1, keepdim=True))
        lam_q = torch.sigmoid(self.gate_qx(q_x) + self.gate_qc(q_c))  # (B, Tq, 1)
        lam_k = torch.sigmoid(self.gate_kx(k_x) + self.gate_kc(k_c))
        q = self._split((1 - lam_q) * q_x + lam_q * q_c)
        k = self._split((1 - lam_k) * k_x + lam_k * k_c)
        v = self._split(self.v(key_value))
        weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]), dim=-1)
        out = (self.dropout(weights) @ v).transpose(1, 2).reshape(query.shape[0], -1,
                                                                  query.shape[-1])
        out = self.out(out)
        if self.time0_bug:
            out = out[:, :1].expand_as(out)
        return out
