"""The dialog networks and decoding: shapes, masking, determinism, the DSTC7 beam-search rule
(insertion bonus, <unk> never emitted, endings from every step) and greedy decoding."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn as nn

from avtool.tasks.dialog.attention import TemporalAttention
from avtool.tasks.dialog.batch import collate
from avtool.tasks.dialog.build import build_net
from avtool.tasks.dialog.decoding import beam_search, greedy_decode
from avtool.tasks.dialog.nets import DialogNet
from avtool.tasks.dialog.vocab import EOS, UNK
from tests.tasks.dialog.conftest import make_examples, tiny_config

ARCHITECTURES = ("multimodal-attention", "dstc7-baseline")


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_teacher_forcing_shapes(architecture):
    torch.manual_seed(0)
    net = build_net(tiny_config(architecture))
    batch = collate(make_examples(5))
    logits, g = net(batch)
    assert logits.shape == (5, batch.target.shape[1], 20)
    assert g.shape == (5, batch.target.shape[1], 7)
    assert (batch.target[torch.arange(5), (batch.target != 0).sum(1) - 1] == EOS).all()


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_padding_never_changes_a_turn(architecture):
    """A turn gives the same outputs alone and padded in a batch of longer turns."""
    torch.manual_seed(0)
    net = build_net(tiny_config(architecture)).eval()
    examples = make_examples(6, seed=1)
    with torch.no_grad():
        together, g_together = net(collate(examples))
        for i, example in enumerate(examples):
            alone, g_alone = net(collate([example]))
            steps = alone.shape[1]
            assert torch.allclose(together[i, :steps], alone[0], atol=1e-5)
            assert torch.allclose(g_together[i, :steps], g_alone[0], atol=1e-5)


def test_padding_frames_get_zero_attention():
    att = TemporalAttention(4, 3)
    values = torch.randn(2, 5, 4)
    mask = torch.tensor([[True, True, False, False, False], [True] * 5])
    context, weights = att(torch.randn(2, 3), att.keys(values), values, mask)
    assert (weights[0, 2:] == 0).all() and torch.allclose(weights.sum(1), torch.ones(2))
    assert torch.allclose(context[0], weights[0, :2] @ values[0, :2])


def test_dropout_is_off_when_answering():
    torch.manual_seed(0)
    net = build_net(tiny_config())
    batch = collate(make_examples(4))
    first = beam_search(net, batch, beam=3, maxlen=6)
    assert beam_search(net, batch, beam=3, maxlen=6) == first
    assert not net.training


def test_unk_is_never_emitted():
    torch.manual_seed(0)
    net = build_net(tiny_config()).eval()
    with torch.no_grad():
        net.out.bias[UNK] = 50.0  # <unk> would win every step
    batch = collate(make_examples(4))
    for hyp in beam_search(net, batch, beam=3, maxlen=5) + greedy_decode(net, batch, 5):
        assert UNK not in hyp.tokens and len(hyp.tokens) >= 1


class ScriptedNet(DialogNet):
    """A 'network' whose next-word distribution depends only on how many words it said:
    after word n, P(<eos>) = P_EOS[n] and the word 'a' (id 4) takes the rest."""

    P_EOS = (0.0, 0.4, 0.55, 0.6, 0.9, 0.99)

    def __init__(self) -> None:
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))
        self.decoder_lstm = nn.Module()
        self.decoder_lstm.layers, self.decoder_lstm.hidden = 1, 1

    def encode(self, batch):
        return {"x": torch.zeros(batch.size, 1)}

    def attend(self, memory, top):
        return torch.zeros(top.shape[0], 1)

    def output(self, top, g):
        said = int(top[0, 0]) - 1  # start() advanced once, with <sos>
        p = torch.full((top.shape[0], 6), 1e-9)
        p_eos = self.P_EOS[min(said, len(self.P_EOS) - 1)]
        p[:, EOS], p[:, 4] = max(p_eos, 1e-9), 1 - p_eos
        return p.log()

    def advance(self, memory, state, tokens, g):
        return state[0] + 1, state[1]


def test_dstc7_rule_keeps_endings_of_every_step():
    net, batch = ScriptedNet(), collate(make_examples(1, vocab=6))
    # greedy stops at the first step whose best word is <eos>: "a a" (0.6 * 0.55)
    assert greedy_decode(net, batch, maxlen=10)[0].tokens == (4, 4)
    # beam 1, no bonus: "a" ended after one word (0.4) beats greedy's "a a" (0.33)
    short = beam_search(net, batch, beam=1, penalty=0.0, maxlen=10)[0]
    assert short.tokens == (4,) and short.score == pytest.approx(math.log(0.4), abs=1e-5)
    # the insertion bonus (penalty per word, <eos> counted) favours longer answers
    lengths = [len(beam_search(net, batch, beam=1, penalty=p, maxlen=10)[0].tokens)
               for p in (0.0, 0.5, 1.0, 3.0)]
    assert lengths == sorted(lengths) and lengths[-1] > lengths[0]
    assert len(beam_search(net, batch, beam=2, penalty=100.0, maxlen=7)[0].tokens) == 7


def test_mean_length_grows_with_the_insertion_bonus():
    torch.manual_seed(0)
    net = build_net(tiny_config())
    batch = collate(make_examples(8, seed=3))
    means = [sum(len(h.tokens) for h in beam_search(net, batch, beam=3, penalty=p, maxlen=12))
             / 8 for p in (0.0, 1.0, 3.0)]
    assert means == sorted(means)
