"""The multimodal-attention dialog network of Hori et al. (Interspeech 2019, Fig. 1 left).

Encoders (`avtool.tasks.dialog.encoders`): the question through a 2-layer BLSTM, each feature
stream through one tanh projection, the history hierarchically (an LSTM per QA pair, a BLSTM
over the pairs). The decoder attends to all of them at every step: temporal attention per
stream from the decoder state, then modality attention fusing the contexts into g_i
(`avtool.tasks.dialog.attention`, Eqs. 6-8), and predicts from [s_{i-1}; g_i] (Eqs. 3-5).
Dropout sits on the encoder outputs, between decoder layers and before the output layer, and
is off in evaluation mode, so answers are deterministic.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from avtool.tasks.dialog.attention import ModalityFusion, TemporalAttention
from avtool.tasks.dialog.config import DialogNetConfig
from avtool.tasks.dialog.encoders import (
    HistoryEncoder,
    StreamProjection,
    WordEncoder,
    lengths_mask,
)
from avtool.tasks.dialog.nets import DialogNet, Memory, StackedLSTM, State


class MultimodalAttentionNet(DialogNet):
    """Attended streams, in order: the question, each feature stream, the history."""

    def __init__(self, cfg: DialogNetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        v, e, h, p = cfg.vocab_size, cfg.embedding, cfg.hidden, cfg.dropout
        self.question = WordEncoder(v, e, h, cfg.encoder_layers, True, p)
        self.history = HistoryEncoder(v, e, h, cfg.encoder_layers, True, p)
        self.projections = nn.ModuleList(StreamProjection(d, w, p) for d, w in
                                         zip(cfg.stream_dims, cfg.projections, strict=True))
        sizes = [self.question.out_size, *cfg.projections, self.history.out_size]
        self.n_attended = len(sizes)
        self.temporal = nn.ModuleList(TemporalAttention(s, cfg.attention) for s in sizes)
        self.query = nn.Linear(cfg.decoder, cfg.attention * len(sizes))
        self.fusion = ModalityFusion(sizes, cfg.decoder, cfg.fusion, cfg.attention)
        self.embed = nn.Embedding(v, e, padding_idx=0)
        self.decoder_lstm = StackedLSTM(e + cfg.fusion, cfg.decoder, cfg.decoder_layers, p)
        self.dropout = nn.Dropout(p)
        self.out = nn.Linear(cfg.decoder + cfg.fusion, v)
        if cfg.decoder_init == "question":
            self.init = nn.Linear(self.question.out_size, cfg.decoder)

    def encode(self, batch) -> Memory:
        q, q_mask, q_summary = self.question(batch.question, batch.question_len)
        hist, h_mask, _ = self.history(batch.history, batch.history_len, batch.history_pairs)
        values = [self.dropout(q)]
        masks = [q_mask]
        for proj, x, n in zip(self.projections, batch.streams, batch.stream_len, strict=True):
            values.append(proj(x))
            masks.append(lengths_mask(n, x.shape[1]))
        values.append(self.dropout(hist))
        masks.append(h_mask)
        memory: Memory = {}
        for k, (att, value, mask) in enumerate(zip(self.temporal, values, masks, strict=True)):
            memory[f"value{k}"], memory[f"key{k}"], memory[f"mask{k}"] = value, att.keys(value), mask
        if self.cfg.decoder_init == "question":
            memory["init"] = torch.tanh(self.init(q_summary))
        return memory

    def initial_state(self, memory: Memory, batch_size: int) -> State:
        if self.cfg.decoder_init != "question":
            return super().initial_state(memory, batch_size)
        h = memory["init"][None].expand(self.cfg.decoder_layers, -1, -1).contiguous()
        return h, torch.zeros_like(h)

    def contexts(self, memory: Memory, top: torch.Tensor
                 ) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Per attended stream: the context c_k (B, D_k) and the weights alpha_k (B, T_k)."""
        queries = self.query(top).chunk(self.n_attended, dim=-1)
        out = [att(queries[k], memory[f"key{k}"], memory[f"value{k}"], memory[f"mask{k}"])
               for k, att in enumerate(self.temporal)]
        return [c for c, _ in out], [w for _, w in out]

    def attend(self, memory: Memory, top: torch.Tensor) -> torch.Tensor:
        g, _ = self.fusion(top, self.contexts(memory, top)[0])
        return g

    def output(self, top: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        return self.out(self.dropout(torch.cat([top, g], dim=-1)))

    def advance(self, memory: Memory, state: State, tokens: torch.Tensor, g: torch.Tensor
                ) -> State:
        return self.decoder_lstm(torch.cat([self.embed(tokens), g], dim=-1), state)
