"""The fbank extractor's analysis window: Kaldi's default (povey) or AVATAR's Hamming."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchaudio.compliance import kaldi

from avtool.errors import ConfigError
from avtool.features import build_extractor


def test_hamming_window_is_kaldis_hamming_and_differs_from_the_default():
    wav = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
    hamming = build_extractor("fbank:window_type=hamming").compute(wav)
    ref = kaldi.fbank(torch.from_numpy(wav * 32768.0).unsqueeze(0), num_mel_bins=80,
                      dither=0.0, low_freq=20.0, window_type="hamming").numpy()
    np.testing.assert_allclose(hamming, ref, atol=1e-4)
    assert not np.allclose(hamming, build_extractor("fbank").compute(wav), atol=1e-3)
    assert build_extractor("fbank").config.window_type == "povey"


def test_unknown_window_is_a_config_error():
    with pytest.raises(ConfigError, match="window_type='square'"):
        build_extractor("fbank:window_type=square")


def test_the_default_window_leaves_the_recorded_recipe_as_before():
    """Stores and checkpoints written before window_type existed still match a fresh fbank."""
    from avtool.config import config_from_dict, config_to_dict
    from avtool.features.fbank import FbankConfig

    default = config_to_dict(build_extractor("fbank").config, "fbank")
    assert "window_type" not in default
    hamming = config_to_dict(build_extractor("fbank:window_type=hamming").config, "fbank")
    assert hamming["window_type"] == "hamming"
    assert config_from_dict(FbankConfig, default, "fbank").window_type == "povey"
