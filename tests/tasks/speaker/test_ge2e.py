"""The GE2E default against the resemblyzer package it reimplements (features, windows, VAD,
embeddings), plus the Embedder interface."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from avtool.errors import ConfigError, MediaError
from avtool.tasks.speaker.embedders import Embedder, load_embedder
from avtool.tasks.speaker.ge2e_embedder import GE2E_THRESHOLD, partial_slices
from avtool.tasks.speaker.ge2e_net import (
    GE2EEncoder,
    GE2EMel,
    load_pretrained_ge2e,
    slaney_mel_filterbank,
)
from avtool.tasks.speaker.speech_input import normalize_volume, trim_long_silences

SR = 16_000


def voiced(seconds: float, f0: float, seed: int = 0, gap=(1.0, 1.8)) -> np.ndarray:
    """A buzzy syllable train with a silent gap (enough for VAD and the LSTM to act on)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    env = (np.sin(2 * np.pi * 3 * t) > 0).astype(np.float64)
    x = sum(np.sin(2 * np.pi * f0 * k * t + k) / k for k in range(1, 15)) * env
    x[int(gap[0] * SR): int(gap[1] * SR)] = 0
    return (0.05 * x + 0.001 * rng.standard_normal(len(t))).astype(np.float32)


@pytest.fixture(scope="module")
def ge2e():
    return load_embedder("ge2e", "cpu")


def test_filterbank_and_mel_match_librosa():
    librosa = pytest.importorskip("librosa")
    ref_fb = librosa.filters.mel(sr=SR, n_fft=400, n_mels=40)
    np.testing.assert_allclose(slaney_mel_filterbank(SR, 400, 40), ref_fb, rtol=1e-5, atol=1e-9)
    wav = voiced(3.01, 130)
    ref = librosa.feature.melspectrogram(y=wav, sr=SR, n_fft=400, hop_length=160, n_mels=40).T
    ours = GE2EMel()(torch.from_numpy(wav)).numpy()
    assert ours.shape == ref.shape == (1 + len(wav) // 160, 40)
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-6 * ref.max())


@pytest.mark.parametrize("seconds", [0.3, 1.0, 1.6, 1.61, 2.0, 2.9, 3.3, 5.0, 7.77])
def test_partial_slices_match_resemblyzer(seconds):
    from resemblyzer import VoiceEncoder

    n = int(seconds * SR)
    _, mel_slices = VoiceEncoder.compute_partial_slices(n, 1.3, 0.75)
    assert partial_slices(n) == [(s.start, s.stop) for s in mel_slices]


def test_preprocessing_matches_resemblyzer():
    from resemblyzer import preprocess_wav

    for seed, (seconds, f0) in enumerate([(2.3, 120), (4.1, 200), (6.7, 150)]):
        wav = voiced(seconds, f0, seed)
        ours = trim_long_silences(normalize_volume(wav))
        ref = preprocess_wav(wav)
        assert len(ours) < len(wav)  # the 0.8 s gap was shortened
        np.testing.assert_allclose(ours, ref, atol=1e-6)


def test_normalize_volume_only_raises_level():
    loud = voiced(2.0, 100) * 10
    assert normalize_volume(loud) is loud
    quiet = voiced(2.0, 100) * 0.01
    rms = np.sqrt(np.mean(normalize_volume(quiet).astype(np.float64) ** 2))
    assert 20 * np.log10(rms) == pytest.approx(-30.0, abs=1e-3)


def test_state_dict_keys_match_the_package():
    from resemblyzer import VoiceEncoder

    ref = VoiceEncoder("cpu", verbose=False).state_dict()
    ours = load_pretrained_ge2e().state_dict()
    assert set(ours) == set(ref) == set(GE2EEncoder().state_dict())
    for key in ours:
        assert torch.equal(ours[key], ref[key]), key


def test_embeddings_agree_with_resemblyzer(ge2e, speech_wavs):
    from resemblyzer import VoiceEncoder, preprocess_wav

    encoder = VoiceEncoder("cpu", verbose=False)
    for wav in speech_wavs:
        pre = preprocess_wav(wav)
        ref = encoder.embed_utterance(pre)
        ours = ge2e.embed_many([pre], preprocess=False)[0]
        assert float(ours @ ref) >= 0.999
        assert float(ge2e.embed(wav) @ ref) >= 0.999  # our preprocessing on the raw audio
    batch = ge2e.embed_many(speech_wavs)  # all partial windows batched across files
    single = np.stack([ge2e.embed(w) for w in speech_wavs])
    np.testing.assert_allclose(batch, single, atol=1e-5)


def test_embedder_interface(ge2e):
    assert isinstance(ge2e, Embedder)
    assert (ge2e.name, ge2e.sample_rate, ge2e.dim) == ("ge2e", 16000, 256)
    assert ge2e.threshold == GE2E_THRESHOLD
    vec = ge2e.embed(voiced(2.5, 140))
    assert vec.shape == (256,) and vec.dtype == np.float32
    assert np.linalg.norm(vec) == pytest.approx(1.0, abs=1e-5)
    assert (vec >= 0).all()


def test_bad_audio_is_a_media_error(ge2e):
    with pytest.raises(MediaError, match="0.50 s long; ge2e needs at least 1 s"):
        ge2e.embed(voiced(0.5, 140))
    with pytest.raises(MediaError, match="silent"):
        ge2e.embed(np.zeros(SR * 2, np.float32))
    noise_free_gap = np.zeros(SR * 3, np.float32)
    noise_free_gap[:200] = 0.2  # a click, then nothing: no speech survives trimming
    with pytest.raises(MediaError, match="after silence trimming"):
        ge2e.embed(noise_free_gap)


def test_options_are_checked():
    with pytest.raises(ConfigError, match="unknown GE2E option"):
        load_embedder("ge2e", "cpu", trim_silences=False)
    with pytest.raises(ConfigError, match="apply only to --model ge2e"):
        load_embedder("some/checkpoint.pt", "cpu", trim_silence=False)
    raw = load_embedder("ge2e", "cpu", trim_silence=False, normalize_volume=False)
    assert raw.config["trim_silence"] is False
    wav = voiced(3.0, 150)
    assert float(raw.embed(wav) @ raw.embed_many([wav], preprocess=False)[0]) > 0.9999


EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "speaker"


@pytest.fixture(scope="module")
def speech_wavs():
    """The demo recordings (espeak-ng voices with noise) and one clean synthetic sentence."""
    from avtool.media.audio import read_audio
    from avtool.synth.speech import synthesize

    wavs = [read_audio(EXAMPLES / f"{name}.wav", 16000)[0]
            for name in ("same_a", "same_b", "other")]
    clean = synthesize("the quick brown fox jumps over the lazy dog near the river bank",
                       voice="en-us", variant="m3", pitch=45, rate=150).audio
    return [*wavs, clean]
