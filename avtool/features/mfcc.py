"""`mfcc`: Kaldi-compatible MFCCs (torchaudio.compliance.kaldi), 13 cepstra by default."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from avtool.features.base import AudioExtractor, extractors


@dataclass(frozen=True)
class MfccConfig:
    sample_rate: int = 16_000
    num_ceps: int = 13
    num_mel_bins: int = 23
    frame_length_ms: float = 25.0
    frame_shift_ms: float = 10.0
    dither: float = 0.0


@extractors.register("mfcc")
class MfccExtractor(AudioExtractor):
    name = "mfcc"
    config_type = MfccConfig

    @property
    def frame_rate(self) -> float:
        return 1000.0 / self.config.frame_shift_ms

    @property
    def frame_shape(self) -> tuple[int, ...]:
        return (self.config.num_ceps,)

    @property
    def min_samples(self) -> int:
        return int(self.config.sample_rate * self.config.frame_length_ms / 1000)

    def compute(self, wav: np.ndarray) -> np.ndarray:
        import torch
        from torchaudio.compliance import kaldi

        cfg = self.config
        feats = kaldi.mfcc(
            torch.from_numpy(wav * 32768.0).unsqueeze(0), num_ceps=cfg.num_ceps,
            num_mel_bins=cfg.num_mel_bins, frame_length=cfg.frame_length_ms,
            frame_shift=cfg.frame_shift_ms, dither=cfg.dither, sample_frequency=cfg.sample_rate,
        )
        return feats.numpy().astype(np.float32)
