"""Greedy and beam-search decoding of AVATAR's transcripts.

The thesis decodes "using a beam search with a beam size of 4 and a brevity penalty of 0.6"
(§5.4.1). avtool reads the penalty as GNMT's length normalisation (Wu et al. 2016), the
``brevity_penalty`` of the Flax/T2T beam search used with Google's JAX models::

    lp(Y) = ((5 + |Y|) / 6) ** alpha,   score(Y) = log P(Y) / lp(Y)

with |Y| the number of generated tokens, [SEP] (end of sequence) included.

Beam search keeps `beam` live hypotheses; as in fairseq's sequence generator, an
end-of-sequence candidate is finished only when it ranks among the `beam` best candidates of
its step, and the search stops when `beam` hypotheses are finished (or at `max_tokens`, where
[SEP] is forced); the best finished one by score wins. So ``beam=1`` is exactly greedy
decoding, whatever alpha.

Both searches drive a ``step(prefixes (N, t)) -> log-probabilities (N, vocab)`` callable.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

Step = Callable[[torch.Tensor], torch.Tensor]


def length_penalty(length: int, alpha: float) -> float:
    """GNMT's lp(Y) = ((5 + |Y|) / 6) ** alpha."""
    return ((5.0 + length) / 6.0) ** alpha


def _strip(seq: list[int], eos: int) -> list[int]:
    """Tokens after [CLS] up to (without) the first [SEP]."""
    out = seq[1:]
    return out[: out.index(eos)] if eos in out else out


def greedy_search(step: Step, batch: int, bos: int, eos: int, max_tokens: int,
                  device: str | torch.device = "cpu") -> list[list[int]]:
    """The most probable next token at each step, for `batch` sequences at once.

    `max_tokens` counts generated tokens, [SEP] included: at most ``max_tokens - 1`` words
    pieces come out.
    """
    tokens = torch.full((batch, 1), bos, dtype=torch.long, device=device)
    done = torch.zeros(batch, dtype=torch.bool, device=device)
    for _ in range(max(0, max_tokens - 1)):
        nxt = step(tokens).argmax(-1)
        nxt = torch.where(done, torch.full_like(nxt, eos), nxt)
        tokens = torch.cat([tokens, nxt[:, None]], 1)
        done |= nxt == eos
        if bool(done.all()):
            break
    return [_strip(row, eos) for row in tokens.tolist()]


def beam_search(step: Step, bos: int, eos: int, max_tokens: int, beam: int = 4,
                alpha: float = 0.6, device: str | torch.device = "cpu") -> list[int]:
    """The best hypothesis of one sequence by log P / lp (module docstring); no [CLS]/[SEP]."""
    if beam < 1:
        raise ValueError(f"beam must be >= 1, got {beam}")
    alive = torch.full((1, 1), bos, dtype=torch.long, device=device)
    scores = torch.zeros(1, device=device)
    finished: list[tuple[float, list[int]]] = []  # (normalised score, sequence)
    for t in range(max(1, max_tokens)):
        logp = step(alive).float()  # (alive, vocab)
        if t == max_tokens - 1:  # the last position: end every hypothesis
            forced = torch.full_like(logp, float("-inf"))
            forced[:, eos] = logp[:, eos]
            logp = forced
        candidates = (scores[:, None] + logp).flatten()
        vocab = logp.shape[1]
        top = candidates.topk(min(2 * beam, candidates.numel()))
        next_seqs, next_scores = [], []
        for rank, (score, index) in enumerate(zip(top.values.tolist(), top.indices.tolist(),
                                                  strict=True)):
            if score == float("-inf"):
                break
            source, token = divmod(index, vocab)
            if token == eos:
                if rank < beam and len(finished) < beam:
                    seq = alive[source].tolist() + [token]
                    finished.append((score / length_penalty(len(seq) - 1, alpha), seq))
            elif len(next_seqs) < beam:
                next_seqs.append(alive[source].tolist() + [token])
                next_scores.append(score)
        if len(finished) >= beam or not next_seqs:
            break
        alive = torch.tensor(next_seqs, dtype=torch.long, device=device)
        scores = torch.tensor(next_scores, device=device)
    best = max(finished, key=lambda f: f[0])[1] if finished else alive[0].tolist()
    return _strip(best, eos)
