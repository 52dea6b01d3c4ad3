"""HAN (Tian et al., ECCV 2020) and the cross-modal variants of Lamba et al. (Interspeech 2021).

Audio-visual video parsing over T one-second snippets (T = 10 on LLP). One network class,
`HanNet`, switched by `HanConfig`, so every row of the paper's Tables 1 and 2 is one config
(`variant_config("base+adv+skip+gcaa", ...)`):

* input projection: ``x_a = fc_a(audio)``; ``x_v = fc_fusion([fc_v(frame), fc_st(motion)])``
  where ``frame`` may have R rows per snippet (8 for ResNet frames at 8 fps) and is averaged
  per snippet first (exactly HAN's average pooling after the linear ``fc_v``). No positional
  encoding.
* ``han``: one hybrid attention layer shared by both streams,
  ``h_a = LN(x_a + Drop(CMA(x_a, x_v)) + Drop(SA(x_a)))`` then FFN + residual + LN.
* ``base``: a separate self-attention block per modality, then one cross-modal block shared
  by both streams over the self-attended features, then a shared linear layer.
* ``skip``: the self-attended features are added back after the shared linear layer, followed
  by a per-modality LayerNorm (Base only).
* ``gcaa``: global-context-aware attention replaces multi-head attention everywhere.
* ``adv``: a modality discriminator behind gradient reversal sees ReLU of every
  (snippet, modality) feature entering the MMIL head (`forward(..., grl_alpha=...)`).
* attentive MMIL pooling: shared per-snippet classifier ``P = sigmoid(fc_prob(h))``, softmax
  over time of ``fc_frame_att(h)`` and over modality of ``fc_av_att(h)``;
  ``p = sum_t sum_m A_t * A_m * P`` (can exceed 1: clamp before BCE), ``p_a``/``p_v`` the
  per-modality temporal pools.

`HanNet.encoder` (projections + attention, no head) is what `avtool train avvp-pretrain`
trains with the audio-visual grounding objectives; its state loads into a `HanNet`.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn as nn

from avtool.errors import ConfigError
from avtool.nn.attention import GlobalContextAttention, MultiHeadAttention
from avtool.nn.gradient_reversal import grad_reverse
from avtool.tasks.avvp.blocks import ModalityDiscriminator, feed_forward
from avtool.tasks.avvp.config import HanConfig

__all__ = ["AvvpEncoder", "HanNet", "HanOutput"]

class HanOutput(NamedTuple):
    p: torch.Tensor  # (B, C) video-level probability (may exceed 1 before clamping)
    p_audio: torch.Tensor  # (B, C)
    p_visual: torch.Tensor  # (B, C)
    frame_prob: torch.Tensor  # (B, T, 2, C), modality 0 audio, 1 visual
    features: torch.Tensor  # (B, T, 2, d) what the MMIL head saw
    modality_logits: torch.Tensor | None  # (B, T, 2) discriminator logits, adversarial only


def _attention(cfg: HanConfig) -> nn.Module:
    if cfg.gcaa:
        return GlobalContextAttention(cfg.d_model, cfg.heads, cfg.dropout, cfg.gcaa_time0_bug)
    return MultiHeadAttention(cfg.d_model, cfg.heads, cfg.dropout)


class HybridAttentionLayer(nn.Module):
    """HAN's layer: self- and cross-modal attention summed into one residual, then an FFN."""

    def __init__(self, cfg: HanConfig) -> None:
        super().__init__()
        self.self_attn, self.cm_attn = _attention(cfg), _attention(cfg)
        self.linear1 = nn.Linear(cfg.d_model, cfg.ffn)
        self.linear2 = nn.Linear(cfg.ffn, cfg.d_model)
        self.norm1, self.norm2 = nn.LayerNorm(cfg.d_model), nn.LayerNorm(cfg.d_model)
        self.drop_cm, self.drop_sa = nn.Dropout(cfg.dropout), nn.Dropout(cfg.dropout)
        self.drop_ff, self.drop_out = nn.Dropout(cfg.dropout), nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x + self.drop_cm(self.cm_attn(x, other))
                       + self.drop_sa(self.self_attn(x, x)))
        return self.norm2(h + self.drop_out(feed_forward(h, self.linear1, self.linear2,
                                                         self.drop_ff)))


class AttentionBlock(nn.Module):
    """``LN(q + Drop(attn(q, kv)))`` then FFN + residual + LN (self-attention when kv is q)."""

    def __init__(self, cfg: HanConfig) -> None:
        super().__init__()
        self.attn = _attention(cfg)
        self.linear1 = nn.Linear(cfg.d_model, cfg.ffn)
        self.linear2 = nn.Linear(cfg.ffn, cfg.d_model)
        self.norm1, self.norm2 = nn.LayerNorm(cfg.d_model), nn.LayerNorm(cfg.d_model)
        self.drop_attn, self.drop_ff = nn.Dropout(cfg.dropout), nn.Dropout(cfg.dropout)
        self.drop_out = nn.Dropout(cfg.dropout)

    def forward(self, query: torch.Tensor, key_value: torch.Tensor) -> torch.Tensor:
        h = self.norm1(query + self.drop_attn(self.attn(query, key_value)))
        return self.norm2(h + self.drop_out(feed_forward(h, self.linear1, self.linear2,
                                                         self.drop_ff)))


class AvvpEncoder(nn.Module):
    """Projections + attention: (audio, frame, motion) -> (B, T, 2, d) snippet features."""

    def __init__(self, cfg: HanConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.fc_a = nn.Linear(cfg.audio_dim, d)
        self.fc_v = nn.Linear(cfg.frame_dim, d)
        self.fc_st = nn.Linear(cfg.motion_dim, d)
        self.fc_fusion = nn.Linear(2 * d, d)
        if not cfg.separate_self_attn:
            self.hybrid = nn.ModuleList(HybridAttentionLayer(cfg) for _ in range(cfg.layers))
        else:
            self.self_a = nn.ModuleList(AttentionBlock(cfg) for _ in range(cfg.layers))
            self.self_v = nn.ModuleList(AttentionBlock(cfg) for _ in range(cfg.layers))
            self.cross = nn.ModuleList(AttentionBlock(cfg) for _ in range(cfg.layers))
            self.shared_fc = nn.Linear(d, d)
            if cfg.skip:
                self.norm_a, self.norm_v = nn.LayerNorm(d), nn.LayerNorm(d)

    def project(self, audio: torch.Tensor, frame: torch.Tensor, motion: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        t = audio.shape[1]
        if frame.shape[1] != t:
            rows = frame.shape[1] // t
            if rows * t != frame.shape[1]:
                raise ValueError(f"frame features have {frame.shape[1]} rows, not a multiple "
                                 f"of the {t} audio snippets")
            # fc_v is linear: pooling before it equals HAN's pooling after it (and is cheaper)
            frame = frame.reshape(frame.shape[0], t, rows, frame.shape[-1]).mean(dim=2)
        x_a = self.fc_a(audio)
        x_v = self.fc_fusion(torch.cat([self.fc_v(frame), self.fc_st(motion)], dim=-1))
        return x_a, x_v

    def forward(self, audio: torch.Tensor, frame: torch.Tensor, motion: torch.Tensor
                ) -> torch.Tensor:
        a, v = self.project(audio, frame, motion)
        if not self.cfg.separate_self_attn:
            for layer in self.hybrid:
                a, v = layer(a, v), layer(v, a)
            return torch.stack([a, v], dim=2)
        for sa_a, sa_v, cross in zip(self.self_a, self.self_v, self.cross, strict=True):
            s_a, s_v = sa_a(a, a), sa_v(v, v)
            a, v = cross(s_a, s_v), cross(s_v, s_a)
        a, v = self.shared_fc(a), self.shared_fc(v)
        if self.cfg.skip:
            a, v = self.norm_a(a + s_a), self.norm_v(v + s_v)
        return torch.stack([a, v], dim=2)


class MmilHead(nn.Module):
    """Attentive multimodal multiple-instance pooling over time and modality."""

    def __init__(self, d_model: int, classes: int) -> None:
        super().__init__()
        self.fc_prob = nn.Linear(d_model, classes)
        self.fc_frame_att = nn.Linear(d_model, classes)
        self.fc_av_att = nn.Linear(d_model, classes)

    def forward(self, h: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        frame_prob = torch.sigmoid(self.fc_prob(h))  # (B, T, 2, C)
        time_att = torch.softmax(self.fc_frame_att(h), dim=1)
        mod_att = torch.softmax(self.fc_av_att(h), dim=2)
        pooled = time_att * frame_prob  # (B, T, 2, C)
        p = (pooled * mod_att).sum(dim=(1, 2))
        return p, pooled[:, :, 0].sum(dim=1), pooled[:, :, 1].sum(dim=1), frame_prob


class HanNet(nn.Module):
    """HAN or a Lamba et al. variant, per `HanConfig`; see the module docstring.

    ``forward(audio (B,T,Da), frame (B,T*R,Df), motion (B,T,Dm), grl_alpha=1.0)`` ->
    `HanOutput`. The discriminator runs (and ``modality_logits`` is set) only for
    adversarial configs in training mode or with ``with_discriminator=True``.
    """

    def __init__(self, cfg: HanConfig) -> None:
        super().__init__()
        if cfg.skip and not cfg.separate_self_attn:
            raise ConfigError("skip connections need the base variant")
        self.cfg = cfg
        self.encoder = AvvpEncoder(cfg)
        self.head = MmilHead(cfg.d_model, cfg.classes)
        self.discriminator = (ModalityDiscriminator(cfg.d_model, tuple(cfg.disc_hidden))
                              if cfg.adversarial else None)

    def forward(self, audio: torch.Tensor, frame: torch.Tensor, motion: torch.Tensor,
                grl_alpha: float = 1.0, with_discriminator: bool = False) -> HanOutput:
        h = self.encoder(audio, frame, motion)
        p, p_a, p_v, frame_prob = self.head(h)
        logits = None
        if self.discriminator is not None and (self.training or with_discriminator):
            logits = self.discriminator(grad_reverse(torch.relu(h), grl_alpha))
        return HanOutput(p, p_a, p_v, frame_prob, h, logits)
