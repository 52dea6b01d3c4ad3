"""What both dialog networks share: the decoding protocol and teacher forcing (`DialogNet`)
and the stacked decoder LSTM (`avtool.tasks.dialog.build.build_net` makes either network).

A network answers in steps (Eqs. 3-5 of Hori et al. 2019)::

    memory = encode(batch)                         # once per turn
    s_0 = advance(memory, 0, <sos>, attend(memory, 0))
    for i = 1, 2, ...:
        g_i = attend(memory, s_{i-1})              # fused context
        P(y_i) = softmax(output(s_{i-1}, g_i))     # Eq. 3
        s_i = advance(memory, s_{i-1}, y_i, g_i)   # Eq. 5: LSTM over [emb(y_i); g_i]

Teacher forcing (`forward`) feeds the reference words and returns every step's logits and g_i
(the context vectors L'_ST and L_JST match); beam search (`avtool.tasks.dialog.decoding`) feeds
its own. ``<sos>`` starts every answer (the released baseline starts with ``<eos>``, one of
the quirks not copied).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from avtool.tasks.dialog.config import DialogNetConfig
from avtool.tasks.dialog.vocab import SOS

State = tuple[torch.Tensor, torch.Tensor]  # (h, c), each (layers, B, H)
Memory = dict[str, torch.Tensor]  # every tensor batch-first


class StackedLSTM(nn.Module):
    """LSTM cells stacked `layers` deep, dropout between layers (active only in training)."""

    def __init__(self, input_size: int, hidden: int, layers: int, dropout: float) -> None:
        super().__init__()
        self.cells = nn.ModuleList(nn.LSTMCell(input_size if n == 0 else hidden, hidden)
                                   for n in range(layers))
        self.dropout = nn.Dropout(dropout)
        self.hidden, self.layers = hidden, layers

    def forward(self, x: torch.Tensor, state: State) -> State:
        hs, cs = [], []
        for n, cell in enumerate(self.cells):
            h, c = cell(x if n == 0 else self.dropout(hs[-1]), (state[0][n], state[1][n]))
            hs.append(h)
            cs.append(c)
        return torch.stack(hs), torch.stack(cs)


class DialogNet(nn.Module):
    """Base class: subclasses implement `encode`, `attend`, `output` and `advance`."""

    cfg: DialogNetConfig
    decoder_lstm: StackedLSTM
    projections: nn.ModuleList  # one StreamProjection per feature stream

    def encode(self, batch) -> Memory:
        raise NotImplementedError

    def attend(self, memory: Memory, top: torch.Tensor) -> torch.Tensor:
        """g_i (B, F) from the decoder's top-layer state s_{i-1} (B, H)."""
        raise NotImplementedError

    def output(self, top: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """Logits (B, V) of the next word."""
        raise NotImplementedError

    def advance(self, memory: Memory, state: State, tokens: torch.Tensor, g: torch.Tensor
                ) -> State:
        raise NotImplementedError

    def initial_state(self, memory: Memory, batch_size: int) -> State:
        """The decoder state before ``<sos>``: zeros (subclasses may start elsewhere)."""
        lstm = self.decoder_lstm
        zero = torch.zeros(lstm.layers, batch_size, lstm.hidden,
                           device=next(self.parameters()).device)
        return zero, zero

    def set_feature_statistics(self, stats: list[tuple]) -> None:
        """Per stream (mean, std) arrays of the training features: the projections
        standardise their inputs with them."""
        for proj, (mean, std) in zip(self.projections, stats, strict=True):
            proj.set_statistics(torch.as_tensor(mean, dtype=torch.float32),
                                torch.as_tensor(std, dtype=torch.float32))

    def start(self, memory: Memory, batch_size: int) -> State:
        """s_0 = LSTM(s_init, [emb(<sos>); g_0]), g_0 attended from s_init."""
        init = self.initial_state(memory, batch_size)
        sos = torch.full((batch_size,), SOS, dtype=torch.long, device=init[0].device)
        return self.advance(memory, init, sos, self.attend(memory, init[0][-1]))

    def forward(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher forcing on ``batch.answer`` -> logits (B, La + 1, V) and g (B, La + 1, F),
        aligned with ``batch.target`` (the answer then ``<eos>``)."""
        memory = self.encode(batch)
        state = self.start(memory, batch.size)
        logits, contexts = [], []
        steps = batch.target.shape[1]
        for i in range(steps):
            g = self.attend(memory, state[0][-1])
            logits.append(self.output(state[0][-1], g))
            contexts.append(g)
            if i + 1 < steps:
                state = self.advance(memory, state, batch.answer[:, i], g)
        return torch.stack(logits, dim=1), torch.stack(contexts, dim=1)


def select_memory(memory: Memory, index: torch.Tensor) -> Memory:
    """Rows `index` of every tensor of `memory` (beam search expands and reorders)."""
    return {k: v.index_select(0, index) for k, v in memory.items()}


def select_state(state: State, index: torch.Tensor) -> State:
    return state[0].index_select(1, index), state[1].index_select(1, index)
