"""HAN and the Lamba et al. variants: shapes, pooling invariants, GRL, GCAA, variant parsing."""

from __future__ import annotations

import pytest
import torch

from avtool.errors import ConfigError
from avtool.nn.attention import GlobalContextAttention
from avtool.nn.gradient_reversal import grad_reverse
from avtool.tasks.avvp.blocks import ModalityDiscriminator
from avtool.tasks.avvp.config import HanConfig, canonical_variant, parse_variant, variant_config
from avtool.tasks.avvp.han import HanNet

SMALL = HanConfig(audio_dim=6, frame_dim=5, motion_dim=4, classes=7, d_model=16, ffn=16)
VARIANTS = ["han", "base", "base+gcaa", "base+adv+skip", "base+adv+skip+gcaa", "han+adv+gcaa"]


def _inputs(b=3, t=10, rows=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(b, t, 6, generator=g), torch.randn(b, t * rows, 5, generator=g),
            torch.randn(b, t, 4, generator=g))


@pytest.mark.parametrize("variant", VARIANTS)
def test_forward_shapes_every_variant(variant):
    torch.manual_seed(0)
    model = HanNet(variant_config(variant, SMALL))
    with torch.no_grad():
        out = model(*_inputs())
    assert out.p.shape == out.p_audio.shape == out.p_visual.shape == (3, 7)
    assert out.frame_prob.shape == (3, 10, 2, 7)
    assert out.features.shape == (3, 10, 2, 16)
    if "adv" in variant:
        assert out.modality_logits.shape == (3, 10, 2)
    else:
        assert out.modality_logits is None
    # p is a sum of two attention-weighted probabilities: in [0, 2)
    assert float(out.p.min()) >= 0 and float(out.p.max()) < 2
    assert float(out.p_audio.max()) <= 1 and float(out.p_visual.max()) <= 1
    model.eval()
    assert model(*_inputs()).modality_logits is None  # discriminator only while training
    with_disc = model(*_inputs(), with_discriminator=True).modality_logits
    assert (with_disc is not None) == ("adv" in variant)


def test_mmil_attention_is_normalised():
    torch.manual_seed(0)
    model = HanNet(SMALL).eval()
    h = model.encoder(*_inputs())
    time_att = torch.softmax(model.head.fc_frame_att(h), dim=1)
    mod_att = torch.softmax(model.head.fc_av_att(h), dim=2)
    torch.testing.assert_close(time_att.sum(1), torch.ones(3, 2, 7))
    torch.testing.assert_close(mod_att.sum(2), torch.ones(3, 10, 7))
    out = model.head(h)
    frame_prob = torch.sigmoid(model.head.fc_prob(h))
    torch.testing.assert_close(out[0], (time_att * mod_att * frame_prob).sum((1, 2)))
    torch.testing.assert_close(out[1], (time_att * frame_prob)[:, :, 0].sum(1))


@pytest.mark.parametrize("variant", ["han", "base+adv+skip+gcaa"])
def test_time_permutation_equivariance(variant):
    """No positional encoding: permuting the snippets permutes frame_prob, keeps p."""
    torch.manual_seed(1)
    model = HanNet(variant_config(variant, SMALL)).eval()
    audio, frame, motion = _inputs()
    perm = torch.tensor([3, 0, 9, 1, 2, 8, 4, 7, 5, 6])
    frame_perm = frame.reshape(3, 10, 8, 5)[:, perm].reshape(3, 80, 5)
    a = model(audio, frame, motion)
    b = model(audio[:, perm], frame_perm, motion[:, perm])
    torch.testing.assert_close(b.frame_prob, a.frame_prob[:, perm], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(b.p, a.p, atol=1e-5, rtol=1e-5)


def test_prepooled_frames_equal_unpooled():
    torch.manual_seed(2)
    model = HanNet(SMALL).eval()
    audio, frame, motion = _inputs()
    pooled = frame.reshape(3, 10, 8, 5).mean(2)
    torch.testing.assert_close(model(audio, pooled, motion).frame_prob,
                               model(audio, frame, motion).frame_prob, atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="multiple"):
        model(audio, frame[:, :75], motion)


def test_parameter_counts_match_the_released_models():
    """4,569,675 used parameters in HAN; 7.01 M (adv+skip) and 8.59 M (full) in the release."""
    def count(variant):
        return sum(p.numel() for p in HanNet(variant_config(variant)).parameters())

    assert count("han") == 4_569_675
    assert abs(count("base+adv+skip") - 7.01e6) < 0.01e6
    assert abs(count("base+adv+skip+gcaa") - 8.59e6) < 0.01e6


def test_gradient_reversal_flips_the_sign():
    x = torch.randn(4, 3, requires_grad=True)
    (grad_reverse(x, 0.7) * torch.arange(3.0)).sum().backward()
    torch.testing.assert_close(x.grad, -0.7 * torch.arange(3.0).expand(4, 3))
    y = torch.randn(5)
    torch.testing.assert_close(grad_reverse(y, 2.0), y)  # identity forward


def test_discriminator_gradient_reaches_encoder_reversed():
    """The adversarial loss pushes the encoder's features against the discriminator."""
    torch.manual_seed(3)
    cfg = variant_config("base+adv+skip", SMALL)
    model = HanNet(cfg).train()
    inputs = _inputs()
    grads = []
    for alpha in (1.0, -1.0):  # alpha -1 = no reversal
        model.zero_grad()
        torch.manual_seed(4)  # same dropout masks
        out = model(*inputs, grl_alpha=alpha)
        out.modality_logits.sum().backward()
        grads.append(model.encoder.shared_fc.weight.grad.clone())
    torch.testing.assert_close(grads[0], -grads[1])


def test_discriminator_shape():
    d = ModalityDiscriminator(16).eval()
    assert d(torch.randn(2, 10, 2, 16)).shape == (2, 10, 2)


def test_gcaa_time0_bug_broadcasts_snippet_zero():
    torch.manual_seed(5)
    attn = GlobalContextAttention(16, heads=2, dropout=0.0, time0_bug=True)
    out = attn(torch.randn(2, 10, 16), torch.randn(2, 10, 16))
    torch.testing.assert_close(out, out[:, :1].expand_as(out))
    attn.time0_bug = False
    out = attn(torch.randn(2, 10, 16), torch.randn(2, 10, 16))
    assert not torch.allclose(out, out[:, :1].expand_as(out))


def test_parse_variant():
    assert parse_variant("han") == {"separate_self_attn": False, "skip": False,
                                    "adversarial": False, "gcaa": False}
    assert parse_variant("Base+GCAA+adv+skip") == {"separate_self_attn": True, "skip": True,
                                                   "adversarial": True, "gcaa": True}
    assert canonical_variant("base+gcaa+skip+adv") == "base+adv+skip+gcaa"
    for bad, msg in (("gcaa", "must start"), ("base+foo", "unknown part"),
                     ("base+adv+adv", "repeated"), ("han+skip", "skip connections need")):
        with pytest.raises(ConfigError, match=msg):
            parse_variant(bad)
