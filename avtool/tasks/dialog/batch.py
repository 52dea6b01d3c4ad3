"""Padded tensors of a batch of dialog turns (`DialogBatch`) and the collate function that
builds them from `avtool.tasks.dialog.data.TurnExample` items."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

import numpy as np
import torch

from avtool.tasks.dialog.vocab import EOS, PAD


@dataclass
class DialogBatch:
    question: torch.Tensor  # (B, Lq) token ids
    question_len: torch.Tensor  # (B,)
    history: torch.Tensor  # (B, J, Lh): each QA pair "question answer <eos>"
    history_len: torch.Tensor  # (B, J) words per pair
    history_pairs: torch.Tensor  # (B,) pairs (>= 1: turn 0 has one empty pair)
    streams: tuple[torch.Tensor, ...]  # (B, T_k, D_k) per feature stream
    stream_len: tuple[torch.Tensor, ...]  # (B,) per stream
    answer: torch.Tensor  # (B, La) teacher-forcing inputs (the answer words)
    target: torch.Tensor  # (B, La + 1) the answer words then <eos>, padded with <pad>
    described: torch.Tensor | None = None  # (B, Ld) description + question (the teacher's)
    described_len: torch.Tensor | None = None

    @property
    def size(self) -> int:
        return self.question.shape[0]

    def to(self, device: str | torch.device) -> DialogBatch:
        moved = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, torch.Tensor):
                value = value.to(device, non_blocking=True)
            elif isinstance(value, tuple):
                value = tuple(v.to(device, non_blocking=True) for v in value)
            moved[f.name] = value
        return DialogBatch(**moved)

    def reading_description(self) -> DialogBatch:
        """The batch as a description-reading model sees it (description + question)."""
        if self.described is None:
            raise ValueError("this batch carries no description")
        return replace(self, question=self.described, question_len=self.described_len)


def _pad(seqs: Sequence[Sequence[int]], min_len: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = [len(s) for s in seqs]
    out = np.full((len(seqs), max([min_len, *lengths])), PAD, np.int64)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = s
    return torch.from_numpy(out), torch.tensor(lengths, dtype=torch.long)


def _pad_frames(arrays: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = [len(a) for a in arrays]
    out = np.zeros((len(arrays), max(lengths), arrays[0].shape[1]), np.float32)
    for i, a in enumerate(arrays):
        out[i, :len(a)] = a
    return torch.from_numpy(out), torch.tensor(lengths, dtype=torch.long)


def collate(examples: Sequence, with_description: bool = False) -> DialogBatch:
    """Pad a list of `TurnExample` into a `DialogBatch`."""
    texts = [e.text for e in examples]
    question, question_len = _pad([t.question for t in texts])
    pairs = [list(t.history) or [[EOS]] for t in texts]
    n_pairs = torch.tensor([len(p) for p in pairs], dtype=torch.long)
    width = max(len(pair) for p in pairs for pair in p)
    history = torch.full((len(examples), int(n_pairs.max()), width), PAD, dtype=torch.long)
    history_len = torch.zeros(history.shape[:2], dtype=torch.long)
    for i, p in enumerate(pairs):
        for j, pair in enumerate(p):
            history[i, j, :len(pair)] = torch.tensor(pair, dtype=torch.long)
            history_len[i, j] = len(pair)
    streams, stream_len = zip(*(_pad_frames([e.features[k] for e in examples])
                                for k in range(len(examples[0].features))), strict=True)
    answer, answer_len = _pad([t.answer for t in texts])
    target = torch.full((len(examples), answer.shape[1] + 1), PAD, dtype=torch.long)
    target[:, :answer.shape[1]] = answer
    target[torch.arange(len(examples)), answer_len] = EOS
    described = described_len = None
    if with_description:
        described, described_len = _pad([t.description + t.question for t in texts])
    return DialogBatch(question, question_len, history, history_len, n_pairs, tuple(streams),
                       tuple(stream_len), answer, target, described, described_len)
