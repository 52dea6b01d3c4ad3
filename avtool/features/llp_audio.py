"""`llp_audio`: one 128-d audio vector per second on the LLP grid (offline VGGish substitute).

avtool ships no VGGish weights, so the default is the VGGish *front end* summarised per
second: 16 kHz mono, 25 ms periodic Hann window (400 samples), 10 ms hop, 512-point FFT
magnitude, 64 HTK mel bands 125-7500 Hz, log(mel + 0.01) (exactly the `vggish` extractor's
log-mel); for each 1-s segment the mean and the standard deviation of each band over its 98
frames -> 128 values (means first). Deterministic, no learned weights.

Output: `segments` rows (10 for LLP) at 1 row/s. The waveform is zero-padded or trimmed to
`segments` seconds first, so a 9.6-s or 10.3-s clip still gives exactly 10 x 128 and second t
of the clip is row t (the same grid as `llp_frame` and `llp_motion`).

User model (``model=PATH``): an ONNX model taking a batch of log-mel examples shaped
(N, 1, 96, 64) (VGGish's input: 0.96 s of the log-mel above, taken from the start of each
second) and giving one vector per example; see `avtool.features.onnx_runner`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from avtool.errors import MediaError
from avtool.features.base import SAMPLE_RATE, SEGMENTS, AudioExtractor, extractors
from avtool.features.onnx_runner import OnnxPlugin


@dataclass(frozen=True)
class LlpAudioConfig:
    sample_rate: int = field(default=16_000, metadata=SAMPLE_RATE)
    segments: int = field(default=10, metadata=SEGMENTS)
    model: str = ""


@extractors.register("llp_audio")
class LlpAudioExtractor(OnnxPlugin, AudioExtractor):
    name = "llp_audio"
    config_type = LlpAudioConfig

    def __init__(self, config=None, device: str = "cpu") -> None:
        super().__init__(config, device)
        self._model = None
        self._dim: int | None = None

    @property
    def frame_rate(self) -> float:
        return 1.0

    @property
    def frame_shape(self) -> tuple[int, ...]:
        return self.plugin_dim(128, (1, 96, 64))

    def compute(self, wav: np.ndarray) -> np.ndarray:
        cfg = self.config
        if cfg.sample_rate != 16_000:
            raise MediaError("llp_audio: the VGGish front end is defined at 16 kHz only")
        logmel = segment_logmel(wav, cfg.segments)  # (T, 64, 98)
        if cfg.model:
            return self.onnx.run(vggish_examples(logmel))
        return np.concatenate([logmel.mean(axis=2), logmel.std(axis=2)], axis=1).astype(
            np.float32)


@functools.lru_cache(maxsize=1)
def _vggish_mel():
    import torch
    import torchaudio

    return torchaudio.transforms.MelSpectrogram(
        sample_rate=16_000, n_fft=512, win_length=400, hop_length=160, f_min=125.0,
        f_max=7500.0, n_mels=64, power=1.0, center=False, mel_scale="htk",
        window_fn=lambda k: torch.hann_window(k, periodic=True),
    )


def segment_logmel(wav: np.ndarray, segments: int) -> np.ndarray:
    """VGGish's log-mel of each 1-s segment of 16-kHz `wav`: (segments, 64, 98) float32.

    The waveform is zero-padded or trimmed to `segments` seconds first."""
    import torch

    n = segments * 16_000
    wav = np.asarray(wav, np.float32)[:n]
    if len(wav) < n:
        wav = np.pad(wav, (0, n - len(wav)))
    with torch.no_grad():
        x = torch.from_numpy(wav.reshape(segments, 16_000))
        return torch.log(_vggish_mel()(x) + 0.01).numpy()


def vggish_examples(logmel: np.ndarray) -> np.ndarray:
    """VGGish's input from `segment_logmel`'s output: the first 0.96 s (96 frames) of each
    segment, (segments, 1, 96, 64)."""
    return np.ascontiguousarray(np.swapaxes(logmel[:, :, :96], 1, 2)[:, None])
