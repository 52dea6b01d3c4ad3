"""Answer generation: the DSTC7 baseline's beam search, and greedy decoding (Eq. 4).

Beam search, as the DSTC7 baseline runs it (digest avsd-004 §2.5), batched over turns:

* every live hypothesis of length l >= `minlen` proposes its ending at every step, scored
  sum(log P(words)) + log P(<eos>) + penalty * (l + 1): the penalty is a per-word *insertion
  bonus* (positive values favour longer answers), not length normalisation;
* continuations never use ``<unk>`` or ``<eos>``; the `beam` best continuations over all
  live hypotheses survive;
* after `maxlen` words, the best ending ever proposed is the answer.

Because every step's endings compete, beam 1 is *not* greedy decoding: a short ending proposed
early can beat the ending greedy decoding reaches later (greedy stops at the first step whose
most probable word is ``<eos>``). Greedy decoding takes the most probable word, never ``<unk>``
(and not ``<eos>`` before `minlen` words), until ``<eos>`` or `maxlen` words.

The network is run in evaluation mode under `torch.inference_mode`: the same turn always gets
the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from avtool.tasks.dialog.config import DecodingConfig
from avtool.tasks.dialog.nets import DialogNet, select_memory, select_state
from avtool.tasks.dialog.vocab import EOS, UNK


@dataclass(frozen=True)
class Hypothesis:
    tokens: tuple[int, ...]  # the words, without <eos>
    score: float  # the decoding score (log probability plus insertion bonuses)


def _step_logprobs(net: DialogNet, memory, state, minlen: int, length: int) -> tuple:
    g = net.attend(memory, state[0][-1])
    logp = torch.log_softmax(net.output(state[0][-1], g).float(), dim=-1)
    logp[:, UNK] = float("-inf")
    if length < minlen:
        logp[:, EOS] = float("-inf")
    return logp, g


@torch.inference_mode()
def greedy_decode(net: DialogNet, batch, maxlen: int = 30, minlen: int = 1
                  ) -> list[Hypothesis]:
    """The most probable word at every step (Eq. 4), for every turn of `batch`."""
    net.eval()
    memory = net.encode(batch)
    state = net.start(memory, batch.size)
    b = batch.size
    tokens = torch.zeros(b, 0, dtype=torch.long, device=batch.question.device)
    scores = torch.zeros(b, device=tokens.device)
    done = torch.zeros(b, dtype=torch.bool, device=tokens.device)
    for length in range(maxlen + 1):
        logp, g = _step_logprobs(net, memory, state, minlen, length)
        if length == maxlen:  # no room left: end here
            word = torch.full((b,), EOS, dtype=torch.long, device=tokens.device)
        else:
            word = logp.argmax(dim=-1)
        scores = scores + torch.where(done, torch.zeros_like(scores),
                                      logp.gather(1, word[:, None]).squeeze(1))
        word = torch.where(done, torch.full_like(word, EOS), word)
        tokens = torch.cat([tokens, word[:, None]], dim=1)
        done = done | (word == EOS)
        if bool(done.all()):
            break
        state = net.advance(memory, state, word, g)
    out = []
    for row, score in zip(tokens.tolist(), scores.tolist(), strict=True):
        words = tuple(row[:row.index(EOS)] if EOS in row else row)
        out.append(Hypothesis(words, float(score)))
    return out


@torch.inference_mode()
def beam_search(net: DialogNet, batch, beam: int = 5, penalty: float = 1.0, maxlen: int = 30,
                minlen: int = 1) -> list[Hypothesis]:
    """The DSTC7 baseline's beam search (module docstring), for every turn of `batch`."""
    net.eval()
    b, device = batch.size, batch.question.device
    memory = net.encode(batch)
    state = net.start(memory, b)
    rows = torch.arange(b, device=device).repeat_interleave(beam)  # beam copies of each turn
    memory, state = select_memory(memory, rows), select_state(state, rows)
    score = torch.full((b, beam), float("-inf"), device=device)
    score[:, 0] = 0.0  # one live hypothesis to start with
    words = torch.zeros(b, beam, 0, dtype=torch.long, device=device)
    best = torch.full((b,), float("-inf"), device=device)
    best_words: list[tuple[int, ...]] = [()] * b
    for length in range(maxlen + 1):
        logp, g = _step_logprobs(net, memory, state, minlen, length)
        logp = logp.view(b, beam, -1)
        if length >= minlen:  # every live hypothesis ends here, with the bonus
            ending = score + logp[..., EOS] + penalty * (length + 1)
            top, which = ending.max(dim=1)
            better = (top > best).nonzero().flatten().tolist()
            for i in better:
                best[i] = top[i]
                best_words[i] = tuple(words[i, int(which[i])].tolist())
        if length == maxlen:
            break
        grow = score[..., None] + logp
        grow[..., EOS] = float("-inf")
        top, flat = grow.view(b, -1).topk(beam, dim=1)
        parent, word = flat // logp.shape[-1], flat % logp.shape[-1]
        if not torch.isfinite(top).any():
            break
        score = top
        words = torch.cat([words.gather(1, parent[..., None].expand(-1, -1, words.shape[2])),
                           word[..., None]], dim=2)
        index = (parent + torch.arange(b, device=device)[:, None] * beam).flatten()
        g = g.index_select(0, index)
        state = net.advance(memory, select_state(state, index), word.flatten(), g)
    return [Hypothesis(w, float(s)) for w, s in zip(best_words, best.tolist(), strict=True)]


def decode(net: DialogNet, batch, cfg: DecodingConfig) -> list[Hypothesis]:
    """Greedy or beam search, as `cfg` says."""
    if cfg.greedy:
        return greedy_decode(net, batch, cfg.maxlen, cfg.minlen)
    return beam_search(net, batch, cfg.beam, cfg.penalty, cfg.maxlen, cfg.minlen)
