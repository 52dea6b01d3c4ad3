"""`whisper_encoder`: Whisper tiny.en encoder states at 50 frames/s, trimmed to the audio."""

from __future__ import annotations

import numpy as np
import pytest

from avtool.errors import MediaError
from avtool.features import MediaSource, build_extractor


def test_states_per_20_ms_trimmed_and_windowed(make_wav):
    ex = build_extractor("whisper_encoder")
    assert ex.frame_rate == 50 and ex.frame_shape == (384,)
    assert len(ex.model_checksum) == 64
    short = ex(MediaSource(make_wav("a.wav", seconds=2.0)))
    assert short.shape == (100, 384) and np.isfinite(short).all()
    long = ex.compute(np.zeros(16000 * 31, np.float32))  # two 30-s windows
    assert long.shape == (1550, 384)
    info = ex.info()
    assert info.extractor == "whisper_encoder" and info.config["threads"] == 1


def test_speech_and_a_tone_differ_and_repeat_exactly(make_wav):
    from avtool.synth.speech import synthesize

    ex = build_extractor("whisper_encoder")
    speech = synthesize("the paper boat floats on water", sample_rate=16000).audio
    a = ex.compute(speech)
    assert np.array_equal(a, ex.compute(speech))
    tone = ex(MediaSource(make_wav("t.wav", seconds=len(speech) / 16000)))
    assert np.abs(a.mean(0) - tone[:len(a)].mean(0)).mean() > 0.05


def test_too_short_audio_is_a_media_error(make_wav):
    with pytest.raises(MediaError, match="too short"):
        build_extractor("whisper_encoder")(MediaSource(make_wav("s.wav", seconds=0.01)))
