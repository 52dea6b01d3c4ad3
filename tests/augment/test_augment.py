"""avtool.augment: mixing at an SNR, segments, and the speaker-training augmenter."""

import numpy as np
import pytest

from avtool.augment.mix import mix_at_snr, power, random_segment
from avtool.augment.speech import (
    AUGMENT_KINDS,
    SpeechAugmentConfig,
    SpeechAugmenter,
    change_speed,
    parse_augment,
)
from avtool.errors import ConfigError


def test_mix_at_snr_sets_the_power_ratio():
    rng = np.random.default_rng(0)
    signal, noise = rng.standard_normal(16000), 5 * rng.standard_normal(16000)
    mixed = mix_at_snr(signal, noise, 10.0)
    added = mixed - signal.astype(np.float32)
    assert 10 * np.log10(power(signal) / power(added)) == pytest.approx(10.0, abs=0.01)
    assert np.array_equal(mix_at_snr(signal, np.zeros(16000), 0.0), signal.astype(np.float32))


def test_random_segment_has_the_length_asked_and_loops_short_input():
    rng = np.random.default_rng(1)
    wav = np.arange(10, dtype=np.float32)
    assert len(random_segment(wav, 4, rng)) == 4
    looped = random_segment(wav, 25, rng)
    assert len(looped) == 25 and set(looped.tolist()) <= set(range(10))


def test_parse_augment_names_all_and_none():
    assert parse_augment("none") == () and parse_augment("all") == AUGMENT_KINDS
    assert parse_augment("reverb, noise,reverb") == ("reverb", "noise")
    with pytest.raises(ConfigError, match="unknown music"):
        parse_augment("noise,music")


def test_speed_change_scales_length_and_frequency():
    sr = 16000
    t = np.arange(sr) / sr
    tone = np.sin(2 * np.pi * 500 * t).astype(np.float32)
    fast = change_speed(tone, 1.1, sr)
    assert len(fast) == pytest.approx(sr / 1.1, abs=2)
    peak = np.argmax(np.abs(np.fft.rfft(fast))) * sr / len(fast)
    assert peak == pytest.approx(550, abs=3)


def _bank(speakers):
    rng = np.random.default_rng(3)
    return [(0.1 * rng.standard_normal(20000).astype(np.float32), s) for s in speakers]


def test_augmenter_keeps_the_length_and_uses_every_kind_and_clean():
    aug = SpeechAugmenter(SpeechAugmentConfig(kinds=("noise", "babble", "reverb")),
                          babble_bank=_bank([0, 1, 2, 1]))
    rng = np.random.default_rng(0)
    wav = 0.1 * rng.standard_normal(24000).astype(np.float32)
    seen = set()
    for _ in range(40):
        out, kind = aug(wav, 0, rng)
        seen.add(kind)
        assert out.shape == wav.shape and out.dtype == np.float32 and np.isfinite(out).all()
        assert (kind == "clean") == np.array_equal(out, wav)
    assert seen == {"clean", "noise", "babble", "reverb"}


def test_babble_comes_from_other_speakers_only():
    bank = [(np.zeros(8000, np.float32), 0), (np.ones(8000, np.float32), 1)]
    aug = SpeechAugmenter(SpeechAugmentConfig(kinds=("babble",)), babble_bank=bank)
    rng = np.random.default_rng(0)
    wav = np.sin(np.arange(8000) / 5).astype(np.float32)
    for _ in range(10):
        out, kind = aug(wav, 1, rng)  # only speaker 0 (silence) may be mixed in
        assert np.array_equal(out, wav)
    with pytest.raises(ConfigError, match="two training speakers"):
        SpeechAugmenter(SpeechAugmentConfig(kinds=("babble",)), babble_bank=bank[:1])
