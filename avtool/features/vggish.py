"""`vggish`: VGGish-style input examples: 0.96 s of 64-band log mel, 96 x 64 per example.

As in the VGGish front end: 25 ms periodic Hann window, 10 ms hop, 512-point FFT magnitude,
64 HTK mel bands from 125 to 7500 Hz, log(mel + 0.01), non-overlapping 96-frame examples
(a trailing partial example is dropped). One example per 0.96 s: frame_rate = 1 / 0.96.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from avtool.config import ranged
from avtool.features.base import SECONDS, AudioExtractor, extractors


@dataclass(frozen=True)
class VggishConfig:
    sample_rate: int = field(default=16_000, metadata=ranged(min=16_000, max=16_000))  # VGGish's
    example_s: float = field(default=0.96, metadata=ranged(min=0.01, max=60))
    hop_example_s: float = field(default=0.96, metadata=SECONDS)


@extractors.register("vggish")
class VggishExtractor(AudioExtractor):
    name = "vggish"
    config_type = VggishConfig

    def __init__(self, config=None, device: str = "cpu") -> None:
        super().__init__(config, device)
        self._transform = None

    @property
    def frame_rate(self) -> float:
        return 1.0 / self.config.hop_example_s

    @property
    def frame_shape(self) -> tuple[int, ...]:
        return (int(round(self.config.example_s * 100)), 64)

    @property
    def min_samples(self) -> int:
        return int(self.config.example_s * self.config.sample_rate)

    def compute(self, wav: np.ndarray) -> np.ndarray:
        import torch
        import torchaudio

        if self._transform is None:
            self._transform = torchaudio.transforms.MelSpectrogram(
                sample_rate=16_000, n_fft=512, win_length=400, hop_length=160, f_min=125.0,
                f_max=7500.0, n_mels=64, power=1.0, center=False, mel_scale="htk",
                window_fn=lambda n: torch.hann_window(n, periodic=True),
            )
        with torch.no_grad():
            logmel = torch.log(self._transform(torch.from_numpy(wav)) + 0.01).T.numpy()
        win = self.frame_shape[0]
        hop = int(round(self.config.hop_example_s * 100))
        n = 1 + (len(logmel) - win) // hop if len(logmel) >= win else 0
        if n == 0:
            return np.zeros((0, win, 64), np.float32)
        idx = np.arange(win)[None, :] + hop * np.arange(n)[:, None]
        return logmel[idx].astype(np.float32)
