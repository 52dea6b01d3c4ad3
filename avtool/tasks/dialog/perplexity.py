"""Validation perplexity: exp of the mean negative log-likelihood of the reference answer
words (and their ``<eos>``) under teacher forcing, in evaluation mode."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch


@torch.no_grad()
def perplexity(net, turns: Sequence, features, device: str = "cpu",
               reads_description: bool = False, batch_size: int = 64) -> tuple[float, float]:
    """(perplexity, token accuracy) of `net` on `turns` (`TurnText` with answers)."""
    import torch.nn.functional as F

    from avtool.tasks.dialog.batch import collate
    from avtool.tasks.dialog.data import TurnDataset
    from avtool.tasks.dialog.vocab import PAD

    was_training = net.training
    net.eval()
    data = TurnDataset(turns, features)
    nll, correct, tokens = 0.0, 0, 0
    for lo in range(0, len(data), batch_size):
        batch = collate([data[i] for i in range(lo, min(lo + batch_size, len(data)))],
                        with_description=reads_description).to(device)
        logits, _ = net(batch.reading_description() if reads_description else batch)
        target = batch.target
        mask = target != PAD
        nll += float(F.cross_entropy(logits.flatten(0, 1).float(), target.flatten(),
                                     ignore_index=PAD, reduction="sum"))
        correct += int((logits.argmax(-1)[mask] == target[mask]).sum())
        tokens += int(mask.sum())
    net.train(was_training)
    return math.exp(min(nll / max(tokens, 1), 50.0)), correct / max(tokens, 1)
