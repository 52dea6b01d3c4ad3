"""MALTA and ABLR: BiLSTM encoders, multimodal co-attention, attention-weight regression.

Konda et al. 2020 §3 on top of ABLR (Yuan et al. 2019), as digest caption-alignment-000 §3.2
writes it out, with ABLR's released-code choices (§3.4) where the paper is silent:

* encoders: a BiLSTM (`hidden` per direction) over the segment features of each modality and
  over the caption's word embeddings, then ``ReLU(Linear(2h -> h))`` on every state (ABLR's
  "fuse" layer; separate weights per encoder); dropout 0.5 on the BiLSTM outputs;
* sentence vector g0: the mean of the word states (ABLR's code, default) or the final
  BiLSTM states (the MALTA paper's "final hidden state"), ``sentence``;
* additive attention ``e_j = w^T tanh(U h_j + W g + b)``, masked softmax;
* step 1: g0 attends to each modality's segments; step 2: the concatenated attended
  features attend to the words; step 3: the attended sentence attends to each modality
  again. ABLR shares the step-1 and step-3 parameters (``share_steps``, default); each
  modality has its own;
* fusion: ``a = sum_m a_m / |m|`` (sum then normalise); one modality is ABLR itself;
* regression from the M fused weights: Linear(M -> 64) without activation, Linear(64 -> 2),
  then ReLU (ABLR's code, ``head="relu"``) or a sigmoid (``head="sigmoid"``); outputs are
  normalised (start, end);
* ``attention_source="hard"``: the Hard-Attention skyline of Table 6, the regressor reads the
  ground-truth weights instead of the inferred attention.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from avtool.tasks.grounding.config import MaltaNetConfig


class SeqEncoder(nn.Module):
    """BiLSTM then ReLU(Linear(2h -> h)) on every state; also the final-state vector."""

    def __init__(self, din: int, h: int, dropout: float) -> None:
        super().__init__()
        self.lstm = nn.LSTM(din, h, batch_first=True, bidirectional=True)
        self.fuse = nn.Linear(2 * h, h)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None):
        if lengths is None:
            out, (hn, _) = self.lstm(x)
        else:
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths.clamp(min=1).cpu(),
                                                       batch_first=True, enforce_sorted=False)
            out, (hn, _) = self.lstm(packed)
            out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True,
                                                      total_length=x.size(1))
        states = F.relu(self.fuse(self.drop(out)))
        final = F.relu(self.fuse(self.drop(torch.cat([hn[0], hn[1]], -1))))
        return states, final


class AdditiveAttention(nn.Module):
    """``a = masked_softmax(w^T tanh(U h_j + W g + b))``; returns (a, sum_j a_j h_j)."""

    def __init__(self, dh: int, dg: int, da: int) -> None:
        super().__init__()
        self.U = nn.Linear(dh, da)
        self.W = nn.Linear(dg, da, bias=False)
        self.w = nn.Linear(da, 1, bias=False)

    def forward(self, H: torch.Tensor, g: torch.Tensor, mask: torch.Tensor | None = None):
        e = self.w(torch.tanh(self.U(H) + self.W(g).unsqueeze(1))).squeeze(-1)
        if mask is not None:
            e = e.masked_fill(~mask, -1e9)
        a = torch.softmax(e, -1)
        return a, torch.bmm(a.unsqueeze(1), H).squeeze(1)


class MaltaNet(nn.Module):
    """The grounding network of `MaltaNetConfig` (module docstring)."""

    def __init__(self, cfg: MaltaNetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        h = cfg.hidden
        self.embed = nn.Embedding(cfg.vocab_size, cfg.embedding, padding_idx=0)
        self.embed.weight.requires_grad_(cfg.train_embeddings)
        self.text = SeqEncoder(cfg.embedding, h, cfg.dropout)
        dims = {"video": cfg.video_dim, "audio": cfg.audio_dim, "transcript": cfg.embedding}
        self.encoders = nn.ModuleDict({m: SeqEncoder(dims[m], h, cfg.dropout)
                                       for m in cfg.modalities})
        self.step1 = nn.ModuleDict({m: AdditiveAttention(h, h, cfg.attention)
                                    for m in cfg.modalities})
        self.step3 = self.step1 if cfg.share_steps else nn.ModuleDict(
            {m: AdditiveAttention(h, h, cfg.attention) for m in cfg.modalities})
        self.words = AdditiveAttention(h, h * len(cfg.modalities), cfg.attention)
        self.reg1 = nn.Linear(cfg.segments, cfg.reg_hidden)
        self.reg2 = nn.Linear(cfg.reg_hidden, 2)

    def set_embeddings(self, matrix) -> None:
        with torch.no_grad():
            self.embed.weight.copy_(torch.as_tensor(matrix))

    def regress(self, weights: torch.Tensor) -> torch.Tensor:
        out = self.reg2(self.reg1(weights))
        return torch.sigmoid(out) if self.cfg.head == "sigmoid" else F.relu(out)

    def forward(self, tokens: torch.Tensor, feats: dict[str, torch.Tensor],
                hard: torch.Tensor | None = None, leave_out: tuple[str, ...] = ()):
        """tokens (B, L); feats: modality -> (B, M, D) (transcript: (B, M, W) word ids).

        `leave_out`: modalities absent at prediction time (a video without sound): their
        attended features are zeros in step 2 and their attention is not fused.

        Returns (normalised (start, end) (B, 2), {modality: step-3 attention (B, M)},
        fused attention (B, M))."""
        if self.cfg.attention_source == "hard":
            if hard is None:
                raise ValueError("the hard-attention skyline needs the ground-truth weights")
            return self.regress(hard), {}, hard
        mask = tokens > 0
        lengths = mask.sum(1)
        words, final = self.text(self.embed(tokens), lengths)
        if self.cfg.sentence == "mean":
            g0 = (words * mask.unsqueeze(-1)).sum(1) / lengths.clamp(min=1).unsqueeze(-1)
        else:
            g0 = final
        used = [m for m in self.cfg.modalities if m not in leave_out]
        H = {}
        for m in used:
            x = feats[m]
            if m == "transcript":  # (B, M, W) ids -> mean word vector per segment
                present = (x > 0).unsqueeze(-1).float()
                x = (self.embed(x) * present).sum(2) / present.sum(2).clamp(min=1.0)
            H[m] = self.encoders[m](x)[0]
        attended = [self.step1[m](H[m], g0)[1] if m in H else g0.new_zeros(g0.shape)
                    for m in self.cfg.modalities]
        _, s_att = self.words(words, torch.cat(attended, -1), mask)
        att = {m: self.step3[m](H[m], s_att)[0] for m in used}
        fused = sum(att.values()) / len(att)
        return self.regress(fused), att, fused
