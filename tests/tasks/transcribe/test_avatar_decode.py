"""Greedy and beam-search decoding with the GNMT length penalty."""

from __future__ import annotations

import math

import pytest
import torch

from avtool.tasks.transcribe.decode import beam_search, greedy_search, length_penalty

BOS, EOS, V = 1, 2, 12


def random_model(seed: int):
    """A fixed random 'language model': log-probabilities depend on the whole prefix."""
    g = torch.Generator().manual_seed(seed)
    table = torch.randn(V, V, generator=g) * 2.5
    mix = torch.randn(V, V, generator=g)

    def step(prefix: torch.Tensor) -> torch.Tensor:
        last = table[prefix[:, -1]]
        context = mix[prefix].mean(1)
        logits = last + context + 0.15 * prefix.shape[1] * (torch.arange(V) == EOS)
        return torch.log_softmax(logits, -1)
    return step


def sequence_logp(step, seq: list[int]) -> float:
    """log P of [BOS] + seq + [EOS] under `step`."""
    tokens, total = [BOS], 0.0
    for tok in [*seq, EOS]:
        total += float(step(torch.tensor([tokens]))[0, tok])
        tokens.append(tok)
    return total


def test_length_penalty_is_gnmt():
    assert length_penalty(1, 0.6) == pytest.approx(1.0)
    assert length_penalty(7, 0.6) == pytest.approx(2.0 ** 0.6)
    assert length_penalty(10, 0.0) == 1.0
    assert length_penalty(19, 1.0) == pytest.approx(4.0)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("alpha", [0.0, 0.6, 1.0])
def test_beam_one_is_greedy(seed, alpha):
    step = random_model(seed)
    greedy = greedy_search(step, 1, BOS, EOS, max_tokens=15)[0]
    assert beam_search(step, BOS, EOS, 15, beam=1, alpha=alpha) == greedy


@pytest.mark.parametrize("seed", range(8))
def test_beam_never_scores_below_greedy(seed):
    step = random_model(seed)
    greedy = greedy_search(step, 1, BOS, EOS, max_tokens=12)[0]
    best = beam_search(step, BOS, EOS, 12, beam=4, alpha=0.6)

    def score(seq):
        return sequence_logp(step, seq) / length_penalty(len(seq) + 1, 0.6)
    ended = len(greedy) < 11  # greedy stopped on [SEP] rather than at the length limit
    if ended:
        assert score(best) >= score(greedy) - 1e-5


def test_beam_search_finds_the_better_sequence_greedy_misses():
    # after [CLS]: token 3 (p .6) leads to a flat distribution; token 4 (p .4) to [SEP] (p 1)
    def step(prefix):
        out = torch.full((prefix.shape[0], V), -1e9)
        for i, row in enumerate(prefix.tolist()):
            if len(row) == 1:
                out[i, 3], out[i, 4] = math.log(0.6), math.log(0.4)
            elif row[-1] == 4:
                out[i, EOS] = 0.0
            else:
                out[i, 5:] = math.log(1 / (V - 5))
        return out
    assert greedy_search(step, 1, BOS, EOS, 5)[0][0] == 3
    assert beam_search(step, BOS, EOS, 5, beam=2, alpha=0.0) == [4]


def test_length_penalty_favours_longer_hypotheses():
    # one word then [SEP] (log p -1.0), or two words then [SEP] (log p -1.2)
    def step(prefix):
        out = torch.full((prefix.shape[0], V), -1e9)
        for i, row in enumerate(prefix.tolist()):
            if len(row) == 1:
                out[i, 3], out[i, 4] = -0.5, -0.6
            elif row == [BOS, 3]:
                out[i, EOS] = -0.5
            elif row == [BOS, 4]:
                out[i, 5] = -0.3
            else:
                out[i, EOS] = -0.3
        return out
    assert beam_search(step, BOS, EOS, 6, beam=2, alpha=0.0) == [3]
    # alpha 2: -1.0 / ((5 + 2) / 6) ** 2 = -0.735 < -1.2 / ((5 + 3) / 6) ** 2 = -0.675
    assert beam_search(step, BOS, EOS, 6, beam=2, alpha=2.0) == [4, 5]


def test_eos_stops_and_max_tokens_bounds_the_output():
    def always(token):
        def step(prefix):
            out = torch.full((prefix.shape[0], V), -5.0)
            out[:, token] = 0.0
            return out
        return step
    assert greedy_search(always(EOS), 3, BOS, EOS, 10) == [[], [], []]
    assert beam_search(always(EOS), BOS, EOS, 10, beam=4) == []
    assert greedy_search(always(7), 2, BOS, EOS, 6) == [[7] * 5, [7] * 5]
    assert beam_search(always(7), BOS, EOS, 6, beam=3) == [7] * 5
    with pytest.raises(ValueError, match="beam"):
        beam_search(always(7), BOS, EOS, 6, beam=0)


def test_greedy_batch_equals_one_by_one():
    steps = [random_model(s) for s in range(3)]

    def batched(prefix):  # row i follows model i
        return torch.cat([steps[i](prefix[i:i + 1]) for i in range(prefix.shape[0])])
    together = greedy_search(batched, 3, BOS, EOS, 10)
    assert together == [greedy_search(s, 1, BOS, EOS, 10)[0] for s in steps]
