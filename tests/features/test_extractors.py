import shutil

import numpy as np
import pytest
import torch
from torchaudio.compliance import kaldi

from avtool.config import config_from_dict, config_to_dict
from avtool.errors import ConfigError, MediaError, UnknownNameError
from avtool.features import MediaSource, build_extractor, extractor_from_info, extractors


def test_fbank_equals_torchaudio_kaldi(make_wav):
    path = make_wav(seconds=1.3)
    ours = build_extractor("fbank")(MediaSource(path))
    import soundfile as sf

    wav, sr = sf.read(path, dtype="float32")
    ref = kaldi.fbank(torch.from_numpy(wav * 32768.0).unsqueeze(0), num_mel_bins=80,
                      dither=0.0, sample_frequency=sr).numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-4)
    assert ours.shape == (128, 80)  # 1 + (20800 - 400) // 160


def test_spectrogram_shapes_and_rate(make_wav):
    ex = build_extractor("spectrogram")
    out = ex(MediaSource(make_wav(seconds=3.0)))
    assert out.shape == (301, 257) and ex.frame_rate == 100.0
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-4)  # per-bin normalisation
    np.testing.assert_allclose(out.std(0), 1, atol=1e-2)
    vggm = build_extractor("spectrogram:variant=vgg-m")
    assert vggm(MediaSource(make_wav(seconds=3.0))).shape == (301, 512)


@pytest.mark.parametrize("seconds,frames", [(1.0, 98), (2.0, 198), (0.5, 48)])
def test_kaldi_frame_counts(make_wav, seconds, frames):
    assert build_extractor("mfcc")(MediaSource(make_wav(seconds=seconds))).shape == (frames, 13)


@pytest.mark.parametrize("sr,channels", [(8000, 1), (44100, 1), (16000, 2), (44100, 2)])
def test_resampling_and_mixdown(make_wav, sr, channels):
    path = make_wav(f"x{sr}_{channels}.wav", seconds=1.0, sr=sr, channels=channels)
    source = MediaSource(path)
    wav = source.audio(16000)
    assert wav.ndim == 1 and abs(len(wav) - 16000) <= 1
    spectrum = np.abs(np.fft.rfft(wav))
    assert abs(np.argmax(spectrum) * 16000 / len(wav) - 440) < 3  # the tone survives
    assert build_extractor("fbank")(source).shape == (98, 80)


def test_vggish_examples(make_wav):
    out = build_extractor("vggish")(MediaSource(make_wav(seconds=3.0)))
    assert out.shape == (3, 96, 64)


def test_logmel_options(make_wav):
    out = build_extractor("logmel:n_mels=40,hop_s=0.02")(MediaSource(make_wav(seconds=1.0)))
    assert out.shape == (51, 40)


def test_too_short_audio_is_a_media_error(make_wav):
    with pytest.raises(MediaError, match="too short"):
        build_extractor("fbank")(MediaSource(make_wav(seconds=0.01)))


@pytest.mark.parametrize("name", extractors.names())
def test_every_config_round_trips(name):
    if name == "ocr_tesseract" and shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed (its checksum hashes the engine's data)")
    ex = build_extractor(name)
    data = config_to_dict(ex.config, name)
    assert config_from_dict(type(ex.config), data, name) == ex.config
    info = ex.info()
    assert extractor_from_info(info).config == ex.config
    assert info.frame_rate > 0 and all(d > 0 for d in info.frame_shape)


def test_unknown_names_and_options_are_clear():
    with pytest.raises(UnknownNameError, match="valid names: .*fbank"):
        build_extractor("fbnak")
    with pytest.raises(ConfigError, match="unknown option 'bins'"):
        build_extractor("fbank:bins=40")
    with pytest.raises(ConfigError, match="not a valid int"):
        build_extractor("fbank:num_mel_bins=many")
    with pytest.raises(ConfigError, match="variant"):
        build_extractor("spectrogram:variant=vgg")
