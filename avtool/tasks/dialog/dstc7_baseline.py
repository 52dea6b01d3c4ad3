"""The DSTC7-AVSD baseline (Hori et al. 2018; the released PyTorch port), without its bugs.

As released: a 2-layer LSTM question encoder whose last state queries one *static* temporal
attention per feature stream (computed once per question, not per output step), "naive"
fusion g = tanh(sum_k W_k dropout(c_k) + b) without modality weights, a hierarchical history
encoder (LSTM per QA pair, LSTM over pairs, last state), and a 2-layer LSTM decoder fed
[emb(y); question; g; history] at every step, read out through Linear -> dropout -> Linear.

Not copied (digest avsd-004 §2.1, §6.14): dropout that stays on at inference (here an
`nn.Dropout`, off in evaluation mode), the LSTM dropout passed as ``bias`` (here between
layers), unmasked zero padding in attention (here masked), the context as a mean of
alpha h (here the sum of Eq. 6) and ``<eos>`` as the start symbol (here ``<sos>``).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from avtool.tasks.dialog.attention import TemporalAttention
from avtool.tasks.dialog.config import DialogNetConfig
from avtool.tasks.dialog.encoders import (
    HistoryEncoder,
    StreamProjection,
    WordEncoder,
    lengths_mask,
)
from avtool.tasks.dialog.nets import DialogNet, Memory, StackedLSTM, State


class Dstc7BaselineNet(DialogNet):
    def __init__(self, cfg: DialogNetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        v, e, h, p = cfg.vocab_size, cfg.embedding, cfg.hidden, cfg.dropout
        self.question = WordEncoder(v, e, h, cfg.encoder_layers, False, p)
        self.history = HistoryEncoder(v, e, h, cfg.encoder_layers, False, p)
        self.projections = nn.ModuleList(StreamProjection(d, w, 0.0) for d, w in
                                         zip(cfg.stream_dims, cfg.projections, strict=True))
        self.temporal = nn.ModuleList(TemporalAttention(w, cfg.attention)
                                      for w in cfg.projections)
        self.query = nn.Linear(self.question.out_size, cfg.attention * len(cfg.projections))
        self.fuse = nn.ModuleList(nn.Linear(w, cfg.fusion) for w in cfg.projections)
        context = self.question.out_size + cfg.fusion + self.history.out_size
        self.embed = nn.Embedding(v, e, padding_idx=0)
        self.decoder_lstm = StackedLSTM(e + context, cfg.decoder, cfg.decoder_layers, p)
        self.dropout = nn.Dropout(p)
        self.hidden_out = nn.Linear(cfg.decoder, cfg.decoder)
        self.out = nn.Linear(cfg.decoder, v)

    def encode(self, batch) -> Memory:
        _, _, q = self.question(batch.question, batch.question_len)
        _, _, hist = self.history(batch.history, batch.history_len, batch.history_pairs)
        queries = self.query(q).chunk(len(self.temporal), dim=-1)
        fused = 0.0
        for k, (proj, att, fuse) in enumerate(zip(self.projections, self.temporal, self.fuse,
                                                  strict=True)):
            x = proj(batch.streams[k])
            mask = lengths_mask(batch.stream_len[k], x.shape[1])
            context, _ = att(queries[k], att.keys(x), x, mask)
            fused = fused + fuse(self.dropout(context))
        g = torch.tanh(fused)
        return {"g": g, "context": torch.cat([q, g, hist], dim=-1)}

    def attend(self, memory: Memory, top: torch.Tensor) -> torch.Tensor:
        return memory["g"]  # static: computed once per question

    def output(self, top: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        return self.out(self.dropout(self.hidden_out(top)))

    def advance(self, memory: Memory, state: State, tokens: torch.Tensor, g: torch.Tensor
                ) -> State:
        return self.decoder_lstm(torch.cat([self.embed(tokens), memory["context"]], dim=-1),
                                 state)
