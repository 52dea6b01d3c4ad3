"""`logmel`: log mel spectrogram with configurable bands, window and hop (torchaudio)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from avtool.features.base import AudioExtractor, extractors


@dataclass(frozen=True)
class LogMelConfig:
    sample_rate: int = 16_000
    n_mels: int = 64
    win_s: float = 0.025
    hop_s: float = 0.010
    n_fft: int = 512
    f_min: float = 0.0
    f_max: float = 8000.0
    log_offset: float = 1e-6


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
