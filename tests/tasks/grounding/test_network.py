"""MALTA / ABLR network and losses: attention, modalities, calibration, gradients."""

from __future__ import annotations

import math

import pytest
import torch

from avtool.tasks.grounding.config import MaltaNetConfig
from avtool.tasks.grounding.losses import calibration_loss, malta_loss
from avtool.tasks.grounding.network import AdditiveAttention, MaltaNet


def _net(**kw):
    cfg = MaltaNetConfig(vocab_size=20, embedding=8, hidden=6, attention=5, segments=8,
                         video_dim=4, audio_dim=3, dropout=0.0, **kw)
    cfg.check()
    return MaltaNet(cfg)


def _batch(b=3):
    g = torch.Generator().manual_seed(0)
    tokens = torch.tensor([[2, 3, 4, 0], [5, 6, 0, 0], [7, 8, 9, 10]])[:b]
    feats = {"video": torch.randn(b, 8, 4, generator=g), "audio": torch.randn(b, 8, 3, generator=g),
             "transcript": torch.randint(0, 20, (b, 8, 4), generator=g)}
    weights = torch.zeros(b, 8)
    weights[:, 2:4] = 0.5
    return tokens, feats, weights


def test_masked_attention_sums_to_one_and_zero_on_padding():
    att = AdditiveAttention(4, 3, 5)
    a, x = att(torch.randn(2, 6, 4), torch.randn(2, 3), torch.tensor([[1] * 4 + [0] * 2] * 2).bool())
    assert torch.allclose(a.sum(-1), torch.ones(2))
    assert a[:, 4:].abs().max() < 1e-12 and x.shape == (2, 4)


@pytest.mark.parametrize("modalities", [("video",), ("audio",), ("video", "audio"),
                                        ("video", "transcript")])
def test_shapes_per_modality_set(modalities):
    net = _net(modalities=modalities)
    tokens, feats, _ = _batch()
    pred, att, fused = net(tokens, feats)
    assert pred.shape == (3, 2) and set(att) == set(modalities)
    assert torch.allclose(fused.sum(-1), torch.ones(3), atol=1e-6)
    assert ((pred >= 0) & (pred <= 1)).all()


def test_calibration_is_minus_mean_over_gt_of_summed_logs():
    a = {"video": torch.full((1, 4), 0.25), "audio": torch.tensor([[0.1, 0.4, 0.4, 0.1]])}
    w = torch.tensor([[0.0, 0.5, 0.5, 0.0]])
    assert calibration_loss(a, w).item() == pytest.approx(-(math.log(0.25) + math.log(0.4)))


def test_gradients_reach_every_encoder_and_steps_share_parameters():
    net = _net(modalities=("video", "audio"))
    assert net.step1 is net.step3
    tokens, feats, weights = _batch()
    pred, att, _ = net(tokens, feats)
    loss, stats = malta_loss(pred, torch.rand(3, 2), att, weights)
    loss.backward()
    for part in (net.text, net.encoders["video"], net.encoders["audio"], net.words, net.reg1):
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in part.parameters())
    assert set(stats) == {"reg", "cal"}
    assert _net(modalities=("video",), share_steps=False).step3 is not None


def test_hard_attention_regresses_from_the_given_weights():
    net = _net(modalities=("video",), attention_source="hard")
    tokens, feats, weights = _batch()
    pred, att, fused = net(tokens, feats, hard=weights)
    assert att == {} and torch.equal(fused, weights)


def test_leave_out_audio_fuses_video_alone():
    net = _net(modalities=("video", "audio"))
    tokens, feats, _ = _batch()
    _, att, fused = net(tokens, feats, leave_out=("audio",))
    assert set(att) == {"video"} and torch.allclose(fused, att["video"])
