"""Shared fixtures of the dialog tests: one thread for torch (tiny networks run faster alone
than fighting over a loaded machine's cores) and a tiny batch of turns."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def one_torch_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def make_examples(n: int = 5, vocab: int = 20, dims=(6, 5, 4), seed: int = 0):
    """`n` random turns: questions, answers and histories of various lengths, streams of
    various lengths (so padding occurs everywhere)."""
    from avtool.tasks.dialog.data import TurnExample, TurnText
    from avtool.tasks.dialog.vocab import EOS

    rng = np.random.default_rng(seed)

    def words(lo, hi):
        return tuple(int(w) for w in rng.integers(4, vocab, size=int(rng.integers(lo, hi))))

    out = []
    for i in range(n):
        history = tuple(words(2, 6) + (EOS,) for _ in range(int(rng.integers(0, 4))))
        text = TurnText(f"v{i}", len(history), words(1, 7), words(1, 6), history, words(2, 5))
        feats = tuple(rng.normal(size=(int(rng.integers(2, 7)), d)).astype(np.float32)
                      for d in dims)
        out.append(TurnExample(text, feats))
    return out


def tiny_config(architecture: str = "multimodal-attention", vocab: int = 20, dims=(6, 5, 4)):
    from avtool.tasks.dialog.config import DialogNetConfig

    return DialogNetConfig(architecture=architecture, vocab_size=vocab,
                           streams=tuple(f"s{k}" for k in range(len(dims))), stream_dims=dims,
                           projections=(8,) * len(dims), embedding=8, hidden=6, attention=5,
                           fusion=7, decoder=9, decoder_layers=2, dropout=0.3)
