"""The retrieval network: a video encoder (MMT or CE), a caption encoder, one gated embedding
unit per expert and the caption's mixture weights; the similarity and the ranking loss.

Similarity (thesis eq. 3.6, CE eq. 9.3's weighting)::

    s(c, v) = Σ_e w'_e(c, v) ⟨φ_e(c), ψ_e(v)⟩,   w'_e = w_e(c) m_e(v) / Σ_f w_f(c) m_f(v)

with ``w(c) = softmax_e(a_eᵀ dropout(h(c)))`` (N ``Linear(dh, 1)`` as one ``Linear(dh, N)``),
φ_e the caption's GEU outputs, ψ_e the video's (unit vectors) and m_e(v) = 1 when the video
has expert e. Missing experts thus lose their weight and the others are renormalised
(MoEE's rule, which the issue asks for; the released MMT configs instead keep them). The
numerator is one inner product of the weighted concatenation ``[w_e φ_e]`` with ``[ψ_e]``
and the denominator one of w with m: exact search over an index needs nothing else.

Loss (thesis eq. 3.8): bidirectional max-margin ranking with margin m (0.05);
``normalisation="mean"`` averages the 2B(B-1) hinge terms (the released code),
``"batch"`` sums them and divides by B (the thesis's formula).

Modality-masking pretraining (Ch. 4): `query_encoders` hold, per expert, a one-expert MMT
**without temporal embeddings** whose [AGG] output, through ``Linear(d, dh)``, stands in for
h(c) when that expert supervises: the same GEUs and mixture weights then embed it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from avtool.config import ranged
from avtool.tasks.retrieval.gating import GatedEmbeddingUnit

MODELS = ("mmt", "ce")
TEXT_MODELS = ("minilm", "tiny")
POOLINGS = ("cls", "mean")
NORMALISATIONS = ("mean", "batch")


@dataclass(frozen=True)
class RetrievalNetConfig:
    model: str = "mmt"
    d_model: int = field(default=512, metadata=ranged(1, 65536))
    layers: int = field(default=4, metadata=ranged(1, 64))
    heads: int = field(default=4, metadata=ranged(1, 64))
    ff: int = field(default=3072, metadata=ranged(1, 1 << 20))
    dropout: float = field(default=0.1, metadata=ranged(0, 1, max_open=True))
    max_positions: int = field(default=32, metadata=ranged(3, 100_000))
    max_tokens: int = field(default=30, metadata=ranged(1, 100_000))
    text_model: str = "minilm"
    text_pooling: str = "cls"
    max_words: int = field(default=30, metadata=ranged(3, 512))
    geu_batch_norm: bool = True
    clusters: int = field(default=16, metadata=ranged(1, 1024))  # CE video NetVLAD
    text_clusters: int = field(default=16, metadata=ranged(1, 1024))  # CE caption NetVLAD
    gating: bool = True  # CE collaborative gating
    vlad_experts: tuple[str, ...] = ()  # CE: experts aggregated by NetVLAD
    pretrain_query: bool = False  # holds the Ch. 4 query encoders
    tiny_hidden: int = field(default=64, metadata=ranged(8, 4096))


class RetrievalNet(nn.Module):
    def __init__(self, config: RetrievalNetConfig, experts: Sequence[tuple[str, int]],
                 pretrained_text: bool = True) -> None:
        super().__init__()
        from avtool.tasks.retrieval.text import CaptionEncoder

        self.config = config
        self.names = [n for n, _ in experts]
        c = config
        if c.model == "mmt":
            from avtool.tasks.retrieval.mmt import MMTVideoEncoder

            self.video = MMTVideoEncoder(experts, c.d_model, c.layers, c.heads, c.ff, c.dropout,
                                         c.max_positions)
            self.text = CaptionEncoder("bert", c.text_model, c.text_pooling,
                                       tiny_hidden=c.tiny_hidden, dropout=c.dropout,
                                       pretrained=pretrained_text)
        else:
            from avtool.tasks.retrieval.ce import CEVideoEncoder

            self.video = CEVideoEncoder(experts, c.vlad_experts, c.d_model, c.clusters,
                                        c.gating, c.geu_batch_norm)
            self.text = CaptionEncoder("vlad", c.text_model, clusters=c.text_clusters,
                                       tiny_hidden=c.tiny_hidden, dropout=c.dropout,
                                       pretrained=pretrained_text)
        dh = self.text.out_dim
        self.geu = nn.ModuleDict({n: GatedEmbeddingUnit(dh, c.d_model, c.geu_batch_norm)
                                  for n in self.names})
        self.moe = nn.Linear(dh, len(self.names))
        self.moe_drop = nn.Dropout(c.dropout)
        if c.pretrain_query:
            from avtool.tasks.retrieval.mmt import MMTVideoEncoder

            self.query = nn.ModuleDict({
                n: MMTVideoEncoder([(n, d)], c.d_model, c.layers, c.heads, c.ff, c.dropout,
                                   c.max_positions, temporal=False) for n, d in experts})
            self.query_out = nn.Linear(c.d_model, dh)

    # -- the two sides -------------------------------------------------------------------
    def encode_video(self, experts: dict[str, dict[str, torch.Tensor]], drop: Sequence[str] = ()
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        """(ψ (B, N, d), present (B, N) bool)."""
        present = torch.stack([experts[n]["present"] & (n not in drop) for n in self.names], 1)
        return self.video(experts, drop), present

    def embed_query(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(φ (C, N, d), w (C, N)) from caption vectors h (C, dh)."""
        phi = torch.stack([self.geu[n](h) for n in self.names], 1)
        w = F.softmax(self.moe(self.moe_drop(h)), dim=-1)
        return phi, w

    def encode_text(self, tokens) -> tuple[torch.Tensor, torch.Tensor]:
        return self.embed_query(self.text(tokens))

    def encode_modality(self, experts: dict[str, dict[str, torch.Tensor]], name: str
                        ) -> tuple[torch.Tensor, torch.Tensor]:
        """The Ch. 4 query side: expert `name` of each video as the query (φ, w)."""
        agg = self.query[name]({name: experts[name]})[:, 0]
        return self.embed_query(self.query_out(agg))


def similarity(phi: torch.Tensor, w: torch.Tensor, psi: torch.Tensor, present: torch.Tensor
               ) -> torch.Tensor:
    """(C, V) scores: per-expert cosines weighted by w renormalised over present experts."""
    per = torch.einsum("ced,ved->cve", phi, psi)
    weights = w[:, None, :] * present[None, :, :].to(w.dtype)
    num = (weights * per).sum(-1)
    return num / weights.sum(-1).clamp_min(1e-8)


def ranking_loss(s: torch.Tensor, margin: float = 0.05, normalisation: str = "mean"
                 ) -> torch.Tensor:
    """Bidirectional max-margin ranking loss of a square (captions x videos) score matrix
    whose diagonal holds the true pairs."""
    b = s.shape[0]
    pos = s.diag()
    off = 1 - torch.eye(b, device=s.device, dtype=s.dtype)
    hinge = (F.relu(margin + s - pos[:, None]) + F.relu(margin + s - pos[None, :])) * off
    if normalisation == "batch":
        return hinge.sum() / b
    return hinge.sum() / max(1, 2 * b * (b - 1))
