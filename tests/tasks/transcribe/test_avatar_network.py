"""The AVATAR network: MBT bottleneck fusion, token counts, padding, the A / A+V switch."""

from __future__ import annotations

import pytest
import torch

from avtool.errors import ConfigError
from avtool.tasks.transcribe.avatar import Avatar
from avtool.tasks.transcribe.config import AvatarConfig, preset_config

SMALL = dict(d_model=32, layers=4, heads=2, mlp=64, fusion_layer=2, decoder_layers=1,
             decoder_heads=2, decoder_mlp=64, image_size=32, max_audio_frames=320,
             max_target_tokens=16, dropout=0.0)


def _model(**over) -> Avatar:
    torch.manual_seed(0)
    return Avatar(preset_config("tiny", **{**SMALL, **over})).eval()


def _inputs(batch=2, frames=160, seed=1):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(batch, frames, 80, generator=g), torch.full((batch,), frames),
            torch.rand(batch, 3, 2, 32, 32, generator=g) * 2 - 1)


def test_paper_sizes_give_the_thesis_token_counts():
    cfg = AvatarConfig()
    assert cfg.max_time_patches * cfg.freq_patches == 780  # 5 x 156 audio patches
    assert cfg.rgb_tokens == 196  # 14 x 14 tubelets (the thesis prints 146)
    assert (cfg.d_model, cfg.layers, cfg.heads, cfg.mlp) == (768, 12, 12, 3072)
    assert (cfg.fusion_layer, cfg.bottlenecks) == (8, 4)
    assert (cfg.decoder_layers, cfg.decoder_heads, cfg.vocab_size) == (8, 4, 30522)


def test_audio_patches_are_time_major_and_padding_is_masked():
    model = _model()
    audio, _, _ = _inputs(frames=100)
    tokens, pad = model.audio(audio, torch.tensor([100, 40]))
    assert tokens.shape == (2, 7 * 5, 32)  # ceil(100 / 16) time patches x 5 mel patches
    assert pad[0].sum() == 0
    assert pad[1].tolist() == [False] * 15 + [True] * 20  # 40 frames: 3 time patches valid


def test_audio_tokens_do_not_depend_on_frames_before_the_fusion_layer():
    """Fusion from layer 2 of 4: layers 0, 1 are unimodal; layer 2 reads the learned initial
    bottleneck (no RGB in it yet), so RGB reaches the audio tokens from layer 3 on."""
    model = _model()
    assert model.encoder.bottleneck.shape == (1, 4, 32)
    audio, lengths, frames = _inputs()
    other = frames.flip(0) * 0.5 + 0.3
    runs = []
    for f in (frames, other):
        trace: list = []
        with torch.no_grad():
            model.encode(audio, lengths, f, trace=trace)
        runs.append(trace)
    for layer in range(4):
        same = torch.equal(runs[0][layer]["audio"], runs[1][layer]["audio"])
        assert same == (layer <= 2), f"layer {layer}"
    assert not torch.equal(runs[0][0]["rgb"], runs[1][0]["rgb"])


def test_without_fusion_the_audio_stream_never_sees_the_frames():
    model = _model(fusion_layer=4)
    assert model.encoder.bottleneck is None
    audio, lengths, frames = _inputs()
    with torch.no_grad():
        a = model.encode(audio, lengths, frames)[0][:, : 1 + 10 * 5]
        b = model.encode(audio, lengths, -frames)[0][:, : 1 + 10 * 5]
    assert torch.equal(a, b)


def test_padding_does_not_change_an_item():
    model = _model()
    audio, _, frames = _inputs(frames=96)
    padded = torch.cat([audio, torch.randn(2, 64, 80)], 1)
    tokens = torch.tensor([[101, 2000, 2001], [101, 2002, 102]])
    with torch.no_grad():
        alone = model(audio, torch.tensor([96, 96]), frames, tokens)
        batch = model(padded, torch.tensor([96, 96]), frames, tokens)
    assert torch.allclose(alone, batch, atol=1e-5)


def test_audio_only_is_the_same_network_without_the_rgb_stream():
    av, a = _model(), _model(modalities=("audio",))
    names_av, names_a = set(dict(av.named_parameters())), set(dict(a.named_parameters()))
    assert names_a < names_av
    assert all(n.startswith(("rgb", "encoder.blocks.rgb", "encoder.bottleneck"))
               for n in names_av - names_a)
    assert a.encoder.bottleneck is None
    audio, lengths, _ = _inputs()
    logits = a(audio, lengths, None, torch.tensor([[101, 2000], [101, 2001]]))
    assert logits.shape == (2, 2, 30522)
    memory, _ = a.encode(audio, lengths)
    assert memory.shape[1] == 1 + 10 * 5  # audio CLS + patches only


def test_decode_last_only_matches_full_decoding():
    model = _model()
    audio, lengths, frames = _inputs()
    memory, pad = model.encode(audio, lengths, frames)
    tokens = torch.tensor([[101, 2000, 2001], [101, 2002, 2003]])
    full = model.decode(tokens, memory, pad)
    assert torch.allclose(full[:, -1], model.decode(tokens, memory, pad, last_only=True),
                          atol=1e-5)
    # causal: a later token does not change earlier positions
    changed = model.decode(torch.tensor([[101, 2000, 5], [101, 2002, 5]]), memory, pad)
    assert torch.allclose(full[:, :2], changed[:, :2], atol=1e-5)


@pytest.mark.parametrize(("over", "message"), [
    ({"d_model": 30}, "divisible"),
    ({"fusion_layer": 9}, "--fusion-layer 9"),
    ({"image_size": 40}, "tubelets"),
    ({"max_target_tokens": 2}, "max-target-tokens"),
])
def test_bad_sizes_are_config_errors(over, message):
    with pytest.raises(ConfigError, match=message):
        preset_config("tiny", **over)
    with pytest.raises(ConfigError, match="--size 'huge'"):
        preset_config("huge")
