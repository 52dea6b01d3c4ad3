"""Encoders both dialog networks share: words -> (B)LSTM states, the hierarchical history
encoder, and the per-stream projection of audio-visual features.

Padding is packed away (`pack_padded_sequence`), so a padded word or QA pair never changes a
state; every encoder returns its per-step outputs, a boolean mask of the real steps and a
summary vector (the last state; for a BLSTM the forward last and the backward first).
"""

from __future__ import annotations

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


def lengths_mask(lengths: torch.Tensor, width: int) -> torch.Tensor:
    """(B, width) bool: position t < lengths[b]."""
    return torch.arange(width, device=lengths.device)[None, :] < lengths[:, None]


class RecurrentEncoder(nn.Module):
    """An (B)LSTM over padded sequences: (B, L, D), lengths >= 1 -> outputs (B, L, H'),
    summary (B, H') with H' = hidden x directions."""

    def __init__(self, input_size: int, hidden: int, layers: int, bidirectional: bool,
                 dropout: float) -> None:
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden, num_layers=layers, batch_first=True,
                            bidirectional=bidirectional, dropout=dropout if layers > 1 else 0.0)
        self.out_size = hidden * (2 if bidirectional else 1)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, (h, _) = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        if self.lstm.bidirectional:
            summary = torch.cat([h[-2], h[-1]], dim=-1)  # last layer: forward, backward
        else:
            summary = h[-1]
        return out, summary


class WordEncoder(nn.Module):
    """Token ids (B, L) -> embedding -> (B)LSTM: (outputs, mask, summary)."""

    def __init__(self, vocab_size: int, embedding: int, hidden: int, layers: int,
                 bidirectional: bool, dropout: float) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding, padding_idx=0)
        self.rnn = RecurrentEncoder(embedding, hidden, layers, bidirectional, dropout)
        self.out_size = self.rnn.out_size

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor):
        out, summary = self.rnn(self.embed(tokens), lengths.clamp(min=1))
        return out, lengths_mask(lengths.clamp(min=1), tokens.shape[1]), summary


class HistoryEncoder(nn.Module):
    """Hierarchical: an LSTM over the words of each QA pair gives one vector per pair, then
    a (B)LSTM over the pairs. Tokens (B, J, L), word lengths (B, J), pair counts (B,) >= 1."""

    def __init__(self, vocab_size: int, embedding: int, hidden: int, word_layers: int,
                 pair_bidirectional: bool, dropout: float) -> None:
        super().__init__()
        self.words = WordEncoder(vocab_size, embedding, hidden, word_layers, False, dropout)
        self.pairs = RecurrentEncoder(hidden, hidden, 1, pair_bidirectional, 0.0)
        self.out_size = self.pairs.out_size

    def forward(self, tokens: torch.Tensor, word_lengths: torch.Tensor, pairs: torch.Tensor):
        b, j, length = tokens.shape
        real = lengths_mask(pairs, j)  # (B, J)
        _, _, pair_vectors = self.words(tokens[real], word_lengths[real])
        grid = pair_vectors.new_zeros(b, j, pair_vectors.shape[-1])
        grid[real] = pair_vectors
        out, summary = self.pairs(grid, pairs)
        return out, real, summary


class StreamProjection(nn.Module):
    """One feature stream (B, T, D) -> tanh(Linear) (B, T, P), the paper's single projection.

    Inputs are first standardised, (x - shift) * scale, with fixed statistics of the
    training features (`set_statistics`; identity until set). They are buffers, so the
    checkpoint carries them to answering time. Padding frames stay masked downstream.
    """

    def __init__(self, dim: int, width: int, dropout: float) -> None:
        super().__init__()
        self.linear = nn.Linear(dim, width)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("shift", torch.zeros(dim))
        self.register_buffer("scale", torch.ones(dim))

    def set_statistics(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Standardise with these per-dimension statistics; a dimension constant in training
        (std ~ 0) is ignored (scale 0) rather than blown up."""
        self.shift.copy_(mean)
        self.scale.copy_(torch.where(std > 1e-5, 1.0 / std.clamp(min=1e-5),
                                     torch.zeros_like(std)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(torch.tanh(self.linear((x - self.shift) * self.scale)))
