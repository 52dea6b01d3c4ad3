"""`logmel`: log mel spectrogram with configurable bands, window and hop (torchaudio)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from avtool.config import ranged
from avtool.errors import ConfigError
from avtool.features.base import SAMPLE_RATE, SECONDS, AudioExtractor, extractors


@dataclass(frozen=True)
class LogMelConfig:
    sample_rate: int = field(default=16_000, metadata=SAMPLE_RATE)
    n_mels: int = field(default=64, metadata=ranged(min=1, max=1024))
    win_s: float = field(default=0.025, metadata=SECONDS)
    hop_s: float = field(default=0.010, metadata=SECONDS)
    n_fft: int = field(default=512, metadata=ranged(min=2, max=1 << 20))
    f_min: float = field(default=0.0, metadata=ranged(min=0))
    f_max: float = field(default=8000.0, metadata=ranged(min=0, min_open=True))
    log_offset: float = field(default=1e-6, metadata=ranged(min=0, min_open=True))

    def check(self) -> None:
        win = round(self.win_s * self.sample_rate)
        if round(self.hop_s * self.sample_rate) < 1 or win < 1:
            raise ConfigError(f"logmel: win_s={self.win_s:g} and hop_s={self.hop_s:g} must "
                              f"each hold at least one sample at {self.sample_rate} Hz")
        if win > self.n_fft:
            raise ConfigError(f"logmel: n_fft={self.n_fft} is shorter than the window "
                              f"({win} samples = win_s {self.win_s:g} s)")
        if not self.f_min < self.f_max <= self.sample_rate / 2:
            raise ConfigError(f"logmel: need f_min < f_max <= sample_rate/2 "
                              f"({self.sample_rate / 2:g} Hz); got f_min={self.f_min:g}, "
                              f"f_max={self.f_max:g}")


@extractors.register("logmel")
class LogMelExtractor(AudioExtractor):
    name = "logmel"
    config_type = LogMelConfig

    def __init__(self, config=None, device: str = "cpu") -> None:
        super().__init__(config, device)
        self._transform = None

    @property
    def frame_rate(self) -> float:
        return 1.0 / self.config.hop_s

    @property
    def frame_shape(self) -> tuple[int, ...]:
        return (self.config.n_mels,)

    @property
    def min_samples(self) -> int:
        return int(round(self.config.win_s * self.config.sample_rate))

    def compute(self, wav: np.ndarray) -> np.ndarray:
        import torch
        import torchaudio

        cfg = self.config
        if self._transform is None:
            self._transform = torchaudio.transforms.MelSpectrogram(
                sample_rate=cfg.sample_rate, n_fft=cfg.n_fft,
                win_length=int(round(cfg.win_s * cfg.sample_rate)),
                hop_length=int(round(cfg.hop_s * cfg.sample_rate)),
                f_min=cfg.f_min, f_max=cfg.f_max, n_mels=cfg.n_mels, center=True, power=2.0,
            )
        with torch.no_grad():
            mel = self._transform(torch.from_numpy(wav))
        return torch.log(mel + cfg.log_offset).T.numpy().astype(np.float32)
